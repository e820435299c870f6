namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// Systems, codes and canonicals of the PDSm 3.1.1 / IHE MHD 4.2 submissions (DOMAIN.md §3.4). The French
/// systems are the ANS NOS URLs our profiles/ value sets use.
/// </summary>
internal static class Codes
{
    public const string Rfc3986 = "urn:ietf:rfc:3986";
    public const string Loinc = "http://loinc.org";
    public const string ClassSystem = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";
    public const string FacilityTypeSystem = "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite";
    public const string PracticeSettingSystem = "https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice";
    public const string FormatSystem = "https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode";
    /// <summary>IHE's own format codes; <c>mimeTypeSufficient</c> (an HTML rendering, for one) has no TRE_A11 code we could confirm.</summary>
    public const string IheFormatSystem = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode";
    public const string ConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    public const string MhdListTypes = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";
    public const string SourceIdExtension = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId";
    public const string DesignationTypeExtension = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType";

    /// <summary>PDSm canonicals the bundle claims (meta.profile), as the Document Recipient expects them.</summary>
    public const string PdsmBase = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/";
    public const string PdsmBundleProfile = PdsmBase + "pdsm-comprehensive-provide-document-bundle";
    public const string PdsmSubmissionSetProfile = PdsmBase + "pdsm-submissionset-comprehensive";
    public const string PdsmDocumentReferenceProfile = PdsmBase + "pdsm-comprehensive-document-reference";

    /// <summary>Format codes (TRE_A11) by MIME type; anything else is described by its MIME type alone.</summary>
    public static Hl7.Fhir.Model.Coding FormatFor(string contentType) => contentType.Split(';')[0].Trim().ToLowerInvariant() switch
    {
        "application/pdf" => new(FormatSystem, "urn:ihe:iti:xds-sd:pdf:2008", "Document à corps non structuré en Pdf/A-1"),
        "text/plain" => new(FormatSystem, "urn:ihe:iti:xds-sd:text:2008", "Document à corps non structuré en texte brut"),
        _ => new(IheFormatSystem, "urn:ihe:iti:xds:2017:mimeTypeSufficient", "mimeType Sufficient"),
    };
}
