using System.ComponentModel.DataAnnotations;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// The shared record (DMP-like, PDSm/MHD) endpoint and the metadata defaults of the submissions, bound to
/// section <c>Delivery:SharedRecord</c>. Secrets (bearer token, certificate password) come from configuration only.
/// </summary>
public sealed class SharedRecordOptions : IValidatableObject
{
    public const string Section = "Delivery:SharedRecord";

    /// <summary>FHIR base of the Document Recipient (ITI-65 is <c>POST [base]</c>, ITI-67 <c>GET [base]/DocumentReference</c>).</summary>
    [Required, Url]
    public string BaseUrl { get; set; } = "";

    /// <summary>Per request; past it the attempt is a transient failure.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>The gateway's OID (digits and dots), sent as the SubmissionSet's <c>ihe-sourceId</c>.</summary>
    [Required, RegularExpression(@"^[0-2](\.(0|[1-9][0-9]*))+$", ErrorMessage = "SourceOid must be an OID such as 1.2.250.1.999.1")]
    public string SourceOid { get; set; } = "";

    /// <summary>Sent as <c>Authorization: Bearer …</c> when set.</summary>
    public string? BearerToken { get; set; }

    /// <summary>PKCS#12 file of the client certificate for mutual TLS, when set.</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientCertificatePassword { get; set; }

    /// <summary>
    /// PEM file of the CA certificates the shared record's server certificate must chain to (the IGC-Santé roots in
    /// production, a test CA in tests). When set, only these roots are trusted; otherwise the system's store.
    /// </summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>Check the server certificate's revocation (CRL/OCSP). Off only where no CRL is reachable, e.g. a test CA.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>Used when the stored DocumentReference has no category (TRE_A03 "11" Synthèse by default).</summary>
    public CodeOption DefaultCategory { get; set; } = new(Codes.ClassSystem, "11", "Synthèse");

    /// <summary>Used when the stored DocumentReference has no context.facilityType (TRE_R02).</summary>
    public CodeOption DefaultFacilityType { get; set; } = new(Codes.FacilityTypeSystem, "SA07", "Cabinet individuel");

    /// <summary>Used when the stored DocumentReference has no context.practiceSetting (TRE_A01).</summary>
    public CodeOption DefaultPracticeSetting { get; set; } = new(Codes.PracticeSettingSystem, "AMBULATOIRE", "Ambulatoire");

    /// <summary>Used when the stored DocumentReference has no v3-Confidentiality level.</summary>
    public CodeOption DefaultConfidentiality { get; set; } = new(Codes.ConfidentialitySystem, "N", "normal");

    /// <summary>Custodian when the document names none that could be read: the structure running the gateway.</summary>
    public OrganizationOption? DefaultCustodian { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ClientCertificatePath is { Length: > 0 } path && !File.Exists(path))
            yield return new ValidationResult($"ClientCertificatePath {path} does not exist.", [nameof(ClientCertificatePath)]);
        if (TrustedCaPath is { Length: > 0 } ca && !File.Exists(ca))
            yield return new ValidationResult($"TrustedCaPath {ca} does not exist.", [nameof(TrustedCaPath)]);
        foreach (var (name, code) in new[] { (nameof(DefaultCategory), DefaultCategory), (nameof(DefaultFacilityType), DefaultFacilityType),
                     (nameof(DefaultPracticeSetting), DefaultPracticeSetting), (nameof(DefaultConfidentiality), DefaultConfidentiality) })
            if (string.IsNullOrWhiteSpace(code?.System) || string.IsNullOrWhiteSpace(code.Code))
                yield return new ValidationResult($"{name} needs a System and a Code.", [name]);
        if (DefaultCustodian is { } c && (string.IsNullOrWhiteSpace(c.IdentifierSystem) || string.IsNullOrWhiteSpace(c.IdentifierValue)))
            yield return new ValidationResult("DefaultCustodian needs IdentifierSystem and IdentifierValue.", [nameof(DefaultCustodian)]);
    }
}

/// <summary>A coding given in configuration.</summary>
public sealed class CodeOption
{
    public CodeOption() { }

    public CodeOption(string system, string code, string? display = null) => (System, Code, Display) = (system, code, display);

    public string System { get; set; } = "";
    public string Code { get; set; } = "";
    public string? Display { get; set; }

    public Hl7.Fhir.Model.Coding ToCoding() => new(System, Code, Display);
}

/// <summary>An organization named by identifier in configuration (IdNatStruct or FINESS).</summary>
public sealed class OrganizationOption
{
    public string IdentifierSystem { get; set; } = "";
    public string IdentifierValue { get; set; } = "";
    public string? Name { get; set; }
}
