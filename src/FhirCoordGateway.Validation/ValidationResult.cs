using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation;

/// <summary>The issues of one validation, as a list and as an OperationOutcome.</summary>
public sealed class ValidationResult
{
    public ValidationResult(IReadOnlyList<ValidationIssue> issues) => Issues = issues;

    public IReadOnlyList<ValidationIssue> Issues { get; }

    public bool HasErrors => Issues.Any(i => i.IsError);

    /// <summary>
    /// A new OperationOutcome with every issue; when there is none, one "information" issue saying so (an
    /// OperationOutcome needs at least one issue).
    /// </summary>
    public OperationOutcome ToOperationOutcome()
    {
        var outcome = new OperationOutcome();
        outcome.Issue.AddRange(Issues.Select(i => i.ToIssueComponent()));
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.Informational,
                Details = new CodeableConcept { Text = "Validation successful, no issues found" },
            });
        return outcome;
    }

    /// <summary>Same as <see cref="ToOperationOutcome"/>.</summary>
    public OperationOutcome OperationOutcome => ToOperationOutcome();
}
