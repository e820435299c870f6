using FhirCoordGateway.Validation.Registry;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>
/// Loads the repository's <c>profiles/</c> and checks every example in <c>profiles/examples/&lt;profile-id&gt;/</c>:
/// valid-*.json has no error, invalid-*.json yields exactly its invalid-*.expected.json.
/// </summary>
public class ProfilesDirectoryTests
{
    private static readonly Lazy<(FhirProfileValidator Validator, ConformanceWriteResult Load)> Loaded = new(() =>
    {
        var registry = new ProfileRegistry();
        var load = registry.LoadDirectory(ProfilesDir);
        return (new FhirProfileValidator(registry), load);
    });

    private static string ProfilesDir => Path.Combine(TestSupport.RepoRoot(), "profiles");

    public static IEnumerable<object[]> Examples()
    {
        var dir = Path.Combine(ProfilesDir, "examples");
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.EnumerateFiles(dir, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".expected.json", StringComparison.Ordinal)) continue;
            yield return [Path.GetRelativePath(dir, file)];
        }
    }

    [Fact]
    public void GivenProfilesDirectory_WhenLoading_ThenEveryConformanceResourceIsAccepted()
    {
        var load = Loaded.Value.Load;
        Assert.True(load.Success, string.Join("\n", load.Outcome.Issue.Select(i => i.Diagnostics)));
        Assert.True(load.Accepted.Count >= 10, $"only {load.Accepted.Count} accepted");
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void GivenProfileExample_WhenValidating_ThenIssuesAreExactlyTheExpectedOnes(string relativePath)
    {
        var file = Path.Combine(ProfilesDir, "examples", relativePath);
        var resource = TestSupport.Parse(File.ReadAllText(file));
        var profileId = Path.GetFileName(Path.GetDirectoryName(file)!);
        var profileUrl = $"https://fhircoord.example/fhir/StructureDefinition/{profileId}";
        var result = Loaded.Value.Validator.Validate(resource, [profileUrl]);

        if (Path.GetFileName(file).StartsWith("valid", StringComparison.Ordinal))
            Assert.False(result.HasErrors, $"{relativePath}:\n{TestSupport.Describe(result)}");
        else
            ExpectedIssues.AssertMatches(Path.ChangeExtension(file, null) + ".expected.json", result);
    }
}
