using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// The XDS metadata of one outbound document (IHE ITI TF-3 §4.2.3.2), read once from the FHIR resources and
/// shared by the XDM package and the message around it.
/// </summary>
/// <param name="PatientId">XDS patientId (CX): the INS with its OID and type NH, else the gateway's Patient id.</param>
/// <param name="HasQualifiedIns">An INS-NIR with the four identity traits and a qualified identity (RNIV status QUAL).</param>
public sealed record XdmDocumentEntry(
    string UniqueId,
    string PatientId,
    bool HasQualifiedIns,
    IReadOnlyList<string> SourcePatientInfo,
    string BirthName,
    string FirstName,
    string? BirthDate,
    XdsCode TypeCode,
    XdsCode? ClassCode,
    XdsCode? FormatCode,
    XdsCode ConfidentialityCode,
    XdsCode? FacilityTypeCode,
    XdsCode? PracticeSettingCode,
    DateTimeOffset? CreationTime,
    DateTimeOffset? ServiceStartTime,
    string Title,
    string LanguageCode,
    string MimeType,
    string FileName,
    string Sha1Hex,
    long Size,
    IReadOnlyList<XdmAuthor> Authors)
{
    private const string InsNirOid = "1.2.250.1.213.1.4.8";
    private const string IdentityReliabilityUrl = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability";

    // INS-NIR, INS-NIA, and the test and demo NIR ranges (FR Core fr-core-patient-ins).
    private static readonly string[] InsOids = [InsNirOid, "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"];

    /// <summary>Reads the metadata; throws a permanent <see cref="DeliveryFailedException"/> when a required element is missing.</summary>
    public static XdmDocumentEntry From(OutboundDocument document, string localPatientIdOid)
    {
        var reference = document.Document;
        var attachment = reference.Content.FirstOrDefault()?.Attachment;
        var typeCode = XdsCode.From(reference.Type)
            ?? throw new DeliveryFailedException($"DocumentReference/{reference.Id} has no type code, which XDS requires.", transient: false);
        var (birthName, firstName) = NamesOf(document.Patient);
        return new XdmDocumentEntry(
            UniqueId: UniqueIdOf(reference),
            PatientId: PatientIdOf(document.Patient, localPatientIdOid),
            HasQualifiedIns: IsQualifiedIns(document.Patient, birthName, firstName),
            SourcePatientInfo: SourcePatientInfoOf(document.Patient, birthName, firstName, localPatientIdOid),
            BirthName: birthName,
            FirstName: firstName,
            BirthDate: document.Patient.BirthDate,
            TypeCode: typeCode,
            ClassCode: XdsCode.From(reference.Category.FirstOrDefault()),
            FormatCode: XdsCode.From(reference.Content.FirstOrDefault()?.Format) ?? FormatFromMimeType(document.ContentType),
            ConfidentialityCode: XdsCode.From(reference.SecurityLabel.FirstOrDefault()) ?? XdsCode.NormalConfidentiality,
            FacilityTypeCode: XdsCode.From(reference.Context?.FacilityType),
            PracticeSettingCode: XdsCode.From(reference.Context?.PracticeSetting),
            CreationTime: ParseDateTime(attachment?.Creation) ?? reference.Date,
            ServiceStartTime: ParseDateTime(reference.Context?.Period?.Start),
            Title: attachment?.Title ?? reference.Description ?? typeCode.Display,
            LanguageCode: attachment?.Language ?? "fr-FR",
            MimeType: document.ContentType,
            FileName: "DOC0001." + ExtensionOf(document.ContentType),
            Sha1Hex: Convert.ToHexStringLower(SHA1.HashData(document.Content)),
            Size: document.Content.LongLength,
            Authors: XdmAuthor.From(document.Authors));
    }

    /// <summary>The DocumentReference's masterIdentifier, or a stable OID made from its id and version when it has none.</summary>
    private static string UniqueIdOf(DocumentReference reference)
    {
        var value = reference.MasterIdentifier?.Value;
        if (!string.IsNullOrEmpty(value))
            return value.StartsWith("urn:oid:", StringComparison.Ordinal) ? value["urn:oid:".Length..] : value;
        return OidFromName($"DocumentReference/{reference.Id}/_history/{reference.Meta?.VersionId}");
    }

    /// <summary>
    /// A stable OID under 2.25 (ITU-T X.667: an OID from a UUID) made from a name-based (SHA-1, version 5 style)
    /// UUID, so the same name always gives the same OID.
    /// </summary>
    public static string OidFromName(string name)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return "2.25." + new BigInteger(hash, isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);
    }

    private static Identifier? InsOf(Patient patient) =>
        patient.Identifier.FirstOrDefault(i => i.Use != Identifier.IdentifierUse.Old && !string.IsNullOrEmpty(i.Value)
            && InsOids.Any(oid => i.System == "urn:oid:" + oid));

    private static string PatientIdOf(Patient patient, string localPatientIdOid)
    {
        var ins = InsOf(patient);
        return ins is not null
            ? $"{ins.Value}^^^&{ins.System!["urn:oid:".Length..]}&ISO^NH"
            : $"{patient.Id}^^^&{localPatientIdOid}&ISO^PI";
    }

    private static bool IsQualifiedIns(Patient patient, string birthName, string firstName)
    {
        var ins = InsOf(patient);
        var status = patient.GetExtension(IdentityReliabilityUrl)?.GetExtension("identityStatus")?.Value as Coding;
        return ins?.System == "urn:oid:" + InsNirOid && status?.Code == "QUAL"
            && birthName.Length > 0 && firstName.Length > 0 && !string.IsNullOrEmpty(patient.BirthDate) && patient.Gender is not null;
    }

    /// <summary>Birth name (the official name) and first birth first name, as the INS traits define them.</summary>
    private static (string BirthName, string FirstName) NamesOf(Patient patient)
    {
        var name = patient.Name.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? patient.Name.FirstOrDefault();
        return (name?.Family ?? "", name?.Given.FirstOrDefault() ?? "");
    }

    /// <summary>The sourcePatientInfo slot: PID-3, PID-5, PID-7 and PID-8 in HL7 v2 syntax.</summary>
    private static IReadOnlyList<string> SourcePatientInfoOf(Patient patient, string birthName, string firstName, string localPatientIdOid)
    {
        var lines = new List<string> { $"PID-3|{PatientIdOf(patient, localPatientIdOid)}", $"PID-5|{birthName}^{firstName}^^^^^L" };
        if (!string.IsNullOrEmpty(patient.BirthDate)) lines.Add($"PID-7|{patient.BirthDate.Replace("-", "", StringComparison.Ordinal)}");
        lines.Add("PID-8|" + patient.Gender switch
        {
            AdministrativeGender.Male => "M",
            AdministrativeGender.Female => "F",
            AdministrativeGender.Other => "A",
            _ => "U",
        });
        return lines;
    }

    /// <summary>IHE format codes for the document kinds a gateway renders itself (XDS-SD for PDF and text).</summary>
    private static XdsCode? FormatFromMimeType(string mimeType) => mimeType switch
    {
        "application/pdf" => new XdsCode("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "PDF embedded in CDA"),
        "text/plain" => new XdsCode("urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3", "Text embedded in CDA"),
        _ => null,
    };

    private static string ExtensionOf(string mimeType) => mimeType switch
    {
        "application/pdf" => "PDF",
        "text/html" => "HTM",
        "text/plain" => "TXT",
        "text/xml" or "application/xml" or "application/hl7-cda+xml" or "application/hl7-v3+xml" => "XML",
        "application/fhir+json" or "application/json" => "JSN",
        _ => "BIN",
    };

    private static DateTimeOffset? ParseDateTime(string? value) =>
        string.IsNullOrEmpty(value) ? null : new FhirDateTime(value).ToDateTimeOffset(TimeSpan.Zero);
}
