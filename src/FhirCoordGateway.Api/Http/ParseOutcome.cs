using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Api.Http;

/// <summary>
/// The SDK's parse errors as an OperationOutcome, with two corrections: an unknown element is a
/// <c>structure</c> problem (the SDK says <c>value</c>), and an issue with no element path (e.g. a missing
/// resourceType) keeps the parser's line and position in <c>location</c>.
/// </summary>
public static partial class ParseOutcome
{
    private const string UnknownElement = "PVAL128";

    public static OperationOutcome From(DeserializationFailedException e)
    {
        var outcome = e.ToOperationOutcome();
        foreach (var issue in outcome.Issue)
        {
            if (issue.Details?.Coding.Any(c => c.Code == UnknownElement) == true)
            {
                issue.Code = OperationOutcome.IssueType.Structure;
            }

            var at = LineAndPosition().Match(issue.Diagnostics ?? string.Empty);
            if (!issue.Expression.Any() && at.Success)
            {
                issue.Location = [at.Value];
            }
        }

        return outcome;
    }

    [GeneratedRegex(@"line \d+, position \d+")]
    private static partial Regex LineAndPosition();
}
