global using Task = System.Threading.Tasks.Task;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>Shared helpers: a core-only validator, JSON parsing and compact issue rendering.</summary>
internal static class TestSupport
{
    private static readonly Lazy<FhirProfileValidator> CoreOnly = new(() => new FhirProfileValidator(new ProfileRegistry()));

    public static FhirProfileValidator CoreValidator => CoreOnly.Value;

    public static readonly FhirJsonDeserializer Ostrich = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    public static Resource Parse(string json) => Ostrich.DeserializeResource(json);

    public static T Parse<T>(string json) where T : Resource => (T)Parse(json);

    /// <summary>"error structure Patient.foo [key]" lines, sorted; information issues are left out.</summary>
    public static List<string> Render(ValidationResult result) =>
        result.Issues.Where(i => i.Severity != OperationOutcome.IssueSeverity.Information)
            .Select(i => $"{i.Severity.GetLiteral()} {i.Code.GetLiteral()} {i.Expression}{(i.Key is null ? "" : " " + i.Key)}")
            .Order(StringComparer.Ordinal).ToList();

    public static string Describe(ValidationResult result) => string.Join("\n", result.Issues.Select(i => i.ToString()));

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln"))) return dir.FullName;
        throw new InvalidOperationException("FhirCoordGateway.sln not found above " + AppContext.BaseDirectory);
    }
}
