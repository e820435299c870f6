using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Snapshot;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// Plugs our profile validator into every write (Core's <see cref="IResourceValidator"/> port). A
/// StructureDefinition must also produce a clean snapshot against the profiles loaded now, or it is refused.
/// </summary>
public sealed class ProfileValidationAdapter(FhirProfileValidator validator) : IResourceValidator
{
    public OperationOutcome Validate(Resource resource) => Validate(resource, null);

    public OperationOutcome Validate(Resource resource, IEnumerable<string>? extraProfiles)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(validator.Validate(resource, extraProfiles).Issues.Select(i => i.ToIssueComponent()));
        if (resource is StructureDefinition profile)
        {
            outcome.Issue.AddRange(SnapshotErrors(profile));
        }

        return outcome;
    }

    /// <summary>A dry run of snapshot generation on a copy; the registry itself changes only after the write commits.</summary>
    private IEnumerable<OperationOutcome.IssueComponent> SnapshotErrors(StructureDefinition profile)
    {
        if (profile.Derivation != StructureDefinition.TypeDerivationRule.Constraint || profile.Differential is null)
        {
            return [];
        }

        var copy = (StructureDefinition)profile.DeepCopy();
        var generator = new SnapshotGenerator(validator.Registry.Current, new SnapshotGeneratorSettings { GenerateElementIds = true });
        try
        {
            generator.UpdateAsync(copy).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return [Core.Outcomes.Outcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Processing,
                $"The snapshot of {profile.Url} cannot be generated: {e.Message}", "StructureDefinition.differential")];
        }

        var generatorErrors = generator.Outcome?.Issue
            .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i =>
            {
                i.Diagnostics = $"Snapshot generation: {i.Diagnostics ?? i.Details?.Text}";
                return i;
            }) ?? [];
        return generatorErrors.Concat(UnmatchedDifferentialElements(profile, copy));
    }

    /// <summary>
    /// The SDK's generator copies a differential element whose path the base does not have (e.g. a misspelt
    /// element) into the snapshot without a type and reports nothing: such a profile would constrain nothing
    /// while looking fine, so it is refused.
    /// </summary>
    private static IEnumerable<OperationOutcome.IssueComponent> UnmatchedDifferentialElements(StructureDefinition profile, StructureDefinition withSnapshot)
    {
        var snapshot = withSnapshot.Snapshot?.Element ?? [];
        bool Known(ElementDefinition differential)
        {
            var match = snapshot.FirstOrDefault(e => differential.ElementId is { } id ? e.ElementId == id : e.Path == differential.Path);
            return match is not null && (match.Path?.Contains('.') != true || match.Type.Count > 0 || match.ContentReference is not null);
        }

        return (profile.Differential?.Element ?? [])
            .Select((element, index) => (element, index))
            .Where(x => !Known(x.element))
            .Select(x => Core.Outcomes.Outcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Structure,
                $"Differential element '{x.element.ElementId ?? x.element.Path}' matches no element of the base definition.",
                $"StructureDefinition.differential.element[{x.index}]"));
    }
}
