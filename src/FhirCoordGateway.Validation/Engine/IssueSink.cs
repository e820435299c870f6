using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>Collects issues of one validation, without duplicates (two profiles may report the same thing).</summary>
internal sealed class IssueSink(int maxIssues, bool errorsOnly = false)
{
    /// <summary>A sink for probes (does this item match a slice / profile?): keeps only the first error.</summary>
    public static IssueSink ForProbe() => new(1, errorsOnly: true);

    private readonly List<ValidationIssue> _issues = [];
    private readonly HashSet<(OperationOutcome.IssueSeverity, OperationOutcome.IssueType, string, string)> _seen = [];

    public int ErrorCount { get; private set; }

    public bool Full => _issues.Count >= maxIssues;

    public IReadOnlyList<ValidationIssue> Issues => _issues;

    public void Add(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string expression,
        string? key, string message)
    {
        if (Full) return;
        if (errorsOnly && severity is not (OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)) return;
        if (!_seen.Add((severity, code, expression, message))) return;
        var issue = new ValidationIssue(severity, code, expression, key, key is null ? message : $"{key}: {message}");
        _issues.Add(issue);
        if (issue.IsError) ErrorCount++;
    }

    /// <summary>True when an error is already reported at exactly this expression.</summary>
    public bool HasErrorAt(string expression) => _issues.Any(i => i.IsError && i.Expression == expression);

    public void Error(OperationOutcome.IssueType code, string expression, string message, string? key = null) =>
        Add(OperationOutcome.IssueSeverity.Error, code, expression, key, message);

    public void Warning(OperationOutcome.IssueType code, string expression, string message, string? key = null) =>
        Add(OperationOutcome.IssueSeverity.Warning, code, expression, key, message);
}
