using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>
/// Reads <c>invalid-*.expected.json</c> ({"issue":[{"severity","code","expression","key"?}]}) and compares it to a
/// result. Errors must match exactly (no extra, none missing); warnings are compared when the expected file lists
/// at least one warning (profile authors list what they mean to assert; dom-6 style best-practice warnings are not
/// errors and do not make a valid instance invalid). Information issues are never compared.
/// </summary>
internal static class ExpectedIssues
{
    public static List<string> Read(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.GetProperty("issue").EnumerateArray().Select(i =>
        {
            var key = i.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? " " + k.GetString() : "";
            return $"{i.GetProperty("severity").GetString()} {i.GetProperty("code").GetString()} {i.GetProperty("expression").GetString()}{key}";
        }).Order(StringComparer.Ordinal).ToList();
    }

    public static List<string> Actual(ValidationResult result, bool includeWarnings) =>
        result.Issues.Where(i => i.IsError || includeWarnings && i.Severity == OperationOutcome.IssueSeverity.Warning)
            .Select(i => $"{i.Severity.GetLiteral()} {i.Code.GetLiteral()} {i.Expression}{(i.Key is null ? "" : " " + i.Key)}")
            .Distinct().Order(StringComparer.Ordinal).ToList();

    public static void AssertMatches(string expectedFile, ValidationResult result)
    {
        var expected = Read(expectedFile);
        var actual = Actual(result, expected.Any(e => e.StartsWith("warning ", StringComparison.Ordinal)));
        Assert.True(expected.SequenceEqual(actual),
            $"{expectedFile}\nexpected:\n  {string.Join("\n  ", expected)}\nactual:\n  {string.Join("\n  ", actual)}\nall issues:\n{TestSupport.Describe(result)}");
    }
}
