using System.Collections.Concurrent;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>
/// Fixture-driven checks: <c>Fixtures/&lt;rule&gt;/&lt;case&gt;/</c> holds an optional <c>profile.json</c> (checked in
/// addition to meta.profile), optional <c>conformance-*.json</c> (extensions, ValueSets, CodeSystems it needs),
/// <c>valid*.json</c> (no error) and <c>invalid-*.json</c> with <c>invalid-*.expected.json</c> (exact issues).
/// </summary>
public class FixtureTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures");
    private static readonly ConcurrentDictionary<string, (FhirProfileValidator Validator, string? ProfileUrl)> Cases = new();

    public static IEnumerable<object[]> Instances() =>
        Directory.EnumerateFiles(Root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f))
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith("valid", StringComparison.Ordinal)
                || n.StartsWith("invalid-", StringComparison.Ordinal) && !n.EndsWith(".expected.json", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f });

    private static (FhirProfileValidator Validator, string? ProfileUrl) Load(string caseDir) => Cases.GetOrAdd(caseDir, dir =>
    {
        var registry = new ProfileRegistry();
        var conformance = Directory.EnumerateFiles(dir, "conformance-*.json").Select(f => TestSupport.Parse(File.ReadAllText(f))).ToList();
        string? profileUrl = null;
        var profileFile = Path.Combine(dir, "profile.json");
        if (File.Exists(profileFile))
        {
            var profile = TestSupport.Parse<StructureDefinition>(File.ReadAllText(profileFile));
            conformance.Add(profile);
            profileUrl = profile.Url;
        }
        if (conformance.Count > 0)
        {
            var load = registry.AddOrReplace(conformance);
            Assert.True(load.Success, $"{dir}: " + string.Join("\n", load.Outcome.Issue.Select(i => i.Diagnostics)));
        }
        return (new FhirProfileValidator(registry), profileUrl);
    });

    [Theory]
    [MemberData(nameof(Instances))]
    public void GivenFixtureInstance_WhenValidating_ThenIssuesAreExactlyTheExpectedOnes(string relativePath)
    {
        var file = Path.Combine(Root, relativePath);
        var (validator, profileUrl) = Load(Path.GetDirectoryName(file)!);
        var result = validator.Validate(TestSupport.Parse(File.ReadAllText(file)), profileUrl is null ? null : [profileUrl]);

        if (Path.GetFileName(file).StartsWith("valid", StringComparison.Ordinal))
            Assert.True(!result.Issues.Any(i => i.IsError || i.Severity == OperationOutcome.IssueSeverity.Warning),
                $"{relativePath}:\n{TestSupport.Describe(result)}");
        else
            ExpectedIssues.AssertMatches(Path.ChangeExtension(file, null) + ".expected.json", result);
    }
}
