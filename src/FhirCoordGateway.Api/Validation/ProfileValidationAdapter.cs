using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Validation;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// Plugs our profile validator into every write (Core's <see cref="IResourceValidator"/> port). A
/// StructureDefinition must also pass the registry's checks (clean snapshot, every differential element placed),
/// or it is refused.
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
            // Checked against the profiles loaded now; the registry itself changes only after the write commits.
            outcome.Issue.AddRange(validator.Registry.Check(profile));
        }

        return outcome;
    }
}
