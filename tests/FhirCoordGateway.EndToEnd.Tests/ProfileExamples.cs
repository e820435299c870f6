using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The example instances shipped in profiles/examples, and the issues each invalid one must raise.</summary>
public static class ProfileExamples
{
    public static string Folder { get; } = FindProfiles();

    public static IEnumerable<string> Files(string profileId, string prefix) =>
        Directory.EnumerateFiles(Path.Combine(Folder, "examples", profileId), prefix + "*.json")
            .Where(f => !f.EndsWith(".expected.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public static string Json(string file) => File.ReadAllText(file);

    public static Resource Parse(string file) => new FhirJsonDeserializer().DeserializeResource(Json(file));

    /// <summary>(severity, code, expression) of each expected issue.</summary>
    public static IReadOnlyList<(string Severity, string Code, string Expression)> Expected(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file.Replace(".json", ".expected.json")));
        return doc.RootElement.GetProperty("issue").EnumerateArray()
            .Select(i => (i.GetProperty("severity").GetString()!, i.GetProperty("code").GetString()!, i.GetProperty("expression").GetString()!))
            .ToList();
    }

    private static string FindProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
            {
                return Path.Combine(dir.FullName, "profiles");
            }
        }

        throw new InvalidOperationException("profiles/ not found above " + AppContext.BaseDirectory);
    }
}
