using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Support;

internal static class Assertions
{
    /// <summary>Asserts the whole single-issue OperationOutcome of a failure: kind, status, severity, code, expression.</summary>
    public static void SingleIssue(
        FhirOutcomeException e, FailureKind kind, int status, OperationOutcome.IssueType code, string? expression, string diagnosticsContains)
    {
        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.Status);
        var issue = Assert.Single(e.Outcome.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Equal(code, issue.Code);
        if (expression is null)
        {
            Assert.Empty(issue.Expression);
        }
        else
        {
            Assert.Equal([expression], issue.Expression);
        }

        Assert.Contains(diagnosticsContains, issue.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(issue.Diagnostics, e.Message);
    }
}
