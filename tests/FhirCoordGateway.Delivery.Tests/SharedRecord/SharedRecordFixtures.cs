using System.Text;
using FhirCoordGateway.Delivery.SharedRecord;
using FhirCoordGateway.Validation;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

/// <summary>
/// Test data taken from the repository's <c>profiles/examples</c> (a CRH by Dr ROUSSEAU for Jeanne LEFEBVRE, her
/// PPS by Dr BERNARD), the validator loaded with <c>profiles/</c>, and the connector's options.
/// </summary>
internal static class SharedRecordFixtures
{
    public const string SourceOid = "1.2.250.1.999.7.3";
    public const string BundleProfile = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-provide-document-bundle";
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 21, 0, 0, TimeSpan.Zero);

    private static readonly FhirJsonDeserializer Reader = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    private static readonly Lazy<FhirProfileValidator> LoadedValidator = new(() =>
    {
        var registry = new ProfileRegistry();
        var load = registry.LoadDirectory(Path.Combine(RepoRoot(), "profiles"));
        if (!load.Success) throw new InvalidOperationException(string.Join("\n", load.Outcome.Issue.Select(i => i.Diagnostics)));
        return new FhirProfileValidator(registry);
    });

    public static FhirProfileValidator Validator => LoadedValidator.Value;

    public static readonly byte[] CrhPdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% CRH cardiologie mrn-7f3a21\n%%EOF\n");

    public static T Example<T>(string profile, string file) where T : Resource =>
        (T)Reader.DeserializeResource(File.ReadAllText(Path.Combine(RepoRoot(), "profiles", "examples", profile, file)));

    public static Patient Lefebvre() => Example<Patient>("fhircoord-patient-ins", "valid-lefebvre-qualified-nir.json");

    /// <summary>The stored CRH, as the job loads it (id and version set), with its author's role, practitioner and organizations.</summary>
    public static OutboundDocument Crh(Action<DocumentReference>? change = null)
    {
        var document = Example<DocumentReference>("fhircoord-documentreference-crh", "valid-crh-cardiologie.json");
        document.Meta.VersionId = "1";
        change?.Invoke(document);
        var hospital = Example<Organization>("fhircoord-organization", "valid-hopital-finess-idnst.json");
        return new OutboundDocument(document, CrhPdf, "application/pdf", Lefebvre(),
            [
                Example<PractitionerRole>("fhircoord-practitionerrole", "valid-cardio-rousseau.json"),
                Example<Practitioner>("fhircoord-practitioner", "valid-rousseau-rpps-only.json"),
                hospital,
            ],
            hospital);
    }

    public static SharedRecordOptions Options(string baseUrl = "http://shared-record.invalid/fhir", int timeoutSeconds = 30) => new()
    {
        BaseUrl = baseUrl,
        TimeoutSeconds = timeoutSeconds,
        SourceOid = SourceOid,
    };

    public static ProvideDocumentBundleBuilder Builder(SharedRecordOptions? options = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options ?? Options()), new FixedTime(Now));

    public static string Describe(ValidationResult result) => string.Join("\n", result.Issues.Select(i => i.ToString()));

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln"))) return dir.FullName;
        throw new InvalidOperationException("FhirCoordGateway.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
