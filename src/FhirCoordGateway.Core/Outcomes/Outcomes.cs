using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Outcomes;

/// <summary>Small factory for OperationOutcomes, so every issue carries severity, code, text and location the same way.</summary>
public static class Outcomes
{
    public static OperationOutcome Error(OperationOutcome.IssueType code, string message, string? expression = null) =>
        Single(OperationOutcome.IssueSeverity.Error, code, message, expression);

    public static OperationOutcome Information(string message) =>
        Single(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, message, null);

    public static OperationOutcome.IssueComponent Issue(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string message, string? expression)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = message };
        if (expression is not null)
        {
            issue.Expression = [expression];
        }

        return issue;
    }

    private static OperationOutcome Single(
        OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string message, string? expression) =>
        new() { Issue = [Issue(severity, code, message, expression)] };
}
