using FhirCoordGateway.Validation.Engine;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Validation;

/// <summary>
/// Validates FHIR R4 resources against the core specification, their <c>meta.profile</c>, the default profiles
/// configured per type and any extra profiles. Thread-safe; one instance per process.
/// See docs/VALIDATION.md for what is checked.
/// </summary>
public sealed class FhirProfileValidator
{
    private readonly ProfileRegistry _registry;
    private readonly FhirProfileValidatorOptions _options;

    public FhirProfileValidator(ProfileRegistry registry, FhirProfileValidatorOptions? options = null)
    {
        _registry = registry;
        _options = options ?? new FhirProfileValidatorOptions();
    }

    public ProfileRegistry Registry => _registry;

    public FhirProfileValidatorOptions Options => _options;

    /// <summary>Validates a resource. <paramref name="extraProfiles"/> are checked in addition to meta.profile.</summary>
    public ValidationResult Validate(Resource resource, IEnumerable<string>? extraProfiles = null)
    {
        var sink = new IssueSink(_options.MaxIssues);
        // Pin the generation: a concurrent profile update does not affect this validation.
        var run = new ValidationRun(_registry.Current, _options, sink);
        run.ValidateResource(resource, resource.TypeName, extraProfiles ?? [], null, null);
        return new ValidationResult(sink.Issues.ToList());
    }

    /// <summary>
    /// Turns a Strict-parse failure into issues (expression = the element's path) and validates the partial result,
    /// so the caller can answer one OperationOutcome. Validator issues at a path the parser already reported are
    /// dropped: they say the same thing twice.
    /// </summary>
    public ValidationResult ValidateParseFailure(DeserializationFailedException failure, IEnumerable<string>? extraProfiles = null)
    {
        var parseIssues = ParseIssues(failure);
        var issues = new List<ValidationIssue>(parseIssues);
        if (failure.PartialResult is Resource partial)
        {
            var reported = parseIssues.Select(i => i.Expression).ToHashSet(StringComparer.Ordinal);
            issues.AddRange(Validate(partial, extraProfiles).Issues.Where(i => !reported.Contains(i.Expression)));
        }
        return new ValidationResult(issues);
    }

    /// <summary>The parser's errors as issues (severity, code and path from the SDK's coded exceptions).</summary>
    public static IReadOnlyList<ValidationIssue> ParseIssues(DeserializationFailedException failure) =>
        failure.Exceptions.Select(e => e is ExtendedCodedException x
                ? new ValidationIssue(x.IssueSeverity, x.IssueType, x.InstancePath ?? "", null, x.Message)
                : new ValidationIssue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Structure, "", null, e.Message))
            .ToList();
}
