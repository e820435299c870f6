using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Validation;

/// <summary>
/// One validation finding. <see cref="Expression"/> is a FHIRPath with indices on repeating elements
/// (<c>Patient.identifier[1].value</c>, choices as <c>Observation.value.ofType(Quantity)</c>); <see cref="Key"/> is the
/// constraint key of an invariant or of one of our own rules (<c>pat-1</c>, <c>fr-nir-key</c>), else null.
/// </summary>
public sealed record ValidationIssue(
    OperationOutcome.IssueSeverity Severity,
    OperationOutcome.IssueType Code,
    string Expression,
    string? Key,
    string Message)
{
    /// <summary>System of the <c>details.coding</c> that carries <see cref="Key"/> in an OperationOutcome.</summary>
    public const string KeySystem = "https://fhircoord.example/fhir/CodeSystem/validation-rule";

    public bool IsError => Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal;

    /// <summary>
    /// The OperationOutcome issue: severity, code, <c>details.text</c> = message (prefixed by the key, "pat-1: ..."),
    /// <c>details.coding</c> = {KeySystem, key} when there is a key, <c>expression</c> = [Expression].
    /// </summary>
    public OperationOutcome.IssueComponent ToIssueComponent()
    {
        var details = new CodeableConcept { Text = Message };
        if (Key is not null) details.Coding.Add(new Coding(KeySystem, Key));
        var issue = new OperationOutcome.IssueComponent { Severity = Severity, Code = Code, Details = details };
        if (Expression.Length > 0) issue.Expression = [Expression];
        return issue;
    }

    public override string ToString() =>
        $"{Severity.GetLiteral()} {Code.GetLiteral()} {Expression}{(Key is null ? "" : " [" + Key + "]")}: {Message}";
}
