using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>The submission set of one XDM package: one message to one recipient.</summary>
/// <param name="UniqueId">An OID, stable for the delivery so a resent message carries the same submission set.</param>
/// <param name="SourceId">The OID of the sending system.</param>
/// <param name="IntendedRecipient">The recipient's MSSanté address.</param>
public sealed record XdmSubmission(string UniqueId, string SourceId, DateTimeOffset SubmissionTime, string IntendedRecipient);

/// <summary>
/// Builds the IHE XDM ZIP (ITI TF-1 §16, ITI TF-3 §4.2.4 "XDM media"): INDEX.HTM, README.TXT and
/// IHE_XDM/SUBSET01/ with METADATA.XML (an ebRIM SubmitObjectsRequest) and the document.
/// https://profiles.ihe.net/ITI/TF/Volume3/ch-4.2.html
/// Design: the output depends only on the inputs (fixed symbolic ids, entry order, timestamps and
/// compression level), so a resent delivery produces the same bytes and tests can assert them.
/// </summary>
public static class XdmPackageBuilder
{
    public const string FileName = "IHE_XDM.ZIP";
    public const string SubsetFolder = "IHE_XDM/SUBSET01/";
    public const string MetadataPath = SubsetFolder + "METADATA.XML";

    private static readonly XNamespace Lcm = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0";
    private static readonly XNamespace Rim = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";
    private const string DocumentId = "Document01";
    private const string SubmissionSetId = "SubmissionSet01";

    // XDS classification and identification schemes (ITI TF-3 Table 4.2.5-1).
    private const string DocumentEntryObjectType = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1";
    private const string DocumentAuthorScheme = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d";
    private const string ClassCodeScheme = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a";
    private const string ConfidentialityCodeScheme = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f";
    private const string FormatCodeScheme = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d";
    private const string FacilityTypeCodeScheme = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1";
    private const string PracticeSettingCodeScheme = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead";
    private const string TypeCodeScheme = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983";
    private const string DocumentPatientIdScheme = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427";
    private const string DocumentUniqueIdScheme = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab";
    private const string SubmissionSetNode = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd";
    private const string SubmissionSetAuthorScheme = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d";
    private const string ContentTypeCodeScheme = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500";
    private const string SubmissionSetUniqueIdScheme = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8";
    private const string SubmissionSetSourceIdScheme = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832";
    private const string SubmissionSetPatientIdScheme = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446";

    public static byte[] Build(XdmDocumentEntry entry, byte[] content, XdmSubmission submission)
    {
        // ZIP timestamps have no zone and a 1980 floor; the submission time keeps them stable for a delivery.
        var timestamp = new DateTimeOffset(submission.SubmissionTime.UtcDateTime.Ticks, TimeSpan.Zero);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "INDEX.HTM", Encoding.UTF8.GetBytes(IndexHtml(entry)), timestamp);
            Add(zip, "README.TXT", Encoding.UTF8.GetBytes(ReadmeText(entry)), timestamp);
            Add(zip, MetadataPath, MetadataXml(entry, submission), timestamp);
            Add(zip, SubsetFolder + entry.FileName, content, timestamp);
        }
        return buffer.ToArray();
    }

    private static void Add(ZipArchive zip, string path, byte[] bytes, DateTimeOffset timestamp)
    {
        var zipEntry = zip.CreateEntry(path, CompressionLevel.Optimal);
        zipEntry.LastWriteTime = timestamp;
        using var stream = zipEntry.Open();
        stream.Write(bytes);
    }

    private static byte[] MetadataXml(XdmDocumentEntry entry, XdmSubmission submission)
    {
        var document = new XElement(Rim + "ExtrinsicObject",
            new XAttribute("id", DocumentId), new XAttribute("mimeType", entry.MimeType), new XAttribute("objectType", DocumentEntryObjectType),
            Slot("creationTime", entry.CreationTime is { } created ? [Dtm(created)] : []),
            Slot("hash", entry.Sha1Hex),
            Slot("languageCode", entry.LanguageCode),
            Slot("serviceStartTime", entry.ServiceStartTime is { } start ? [Dtm(start)] : []),
            Slot("size", entry.Size.ToString(CultureInfo.InvariantCulture)),
            Slot("sourcePatientId", entry.PatientId),
            Slot("sourcePatientInfo", [.. entry.SourcePatientInfo]),
            // XDM: the document's path relative to METADATA.XML.
            Slot("URI", entry.FileName),
            Name(entry.Title),
            entry.Authors.Select((a, i) => Author(DocumentAuthorScheme, DocumentId, $"author{i + 1:00}", a)),
            Classification(ClassCodeScheme, DocumentId, "classCode", entry.ClassCode),
            Classification(ConfidentialityCodeScheme, DocumentId, "confidentialityCode", entry.ConfidentialityCode),
            Classification(FormatCodeScheme, DocumentId, "formatCode", entry.FormatCode),
            Classification(FacilityTypeCodeScheme, DocumentId, "healthcareFacilityTypeCode", entry.FacilityTypeCode),
            Classification(PracticeSettingCodeScheme, DocumentId, "practiceSettingCode", entry.PracticeSettingCode),
            Classification(TypeCodeScheme, DocumentId, "typeCode", entry.TypeCode),
            ExternalIdentifier(DocumentPatientIdScheme, DocumentId, "patientId", entry.PatientId, "XDSDocumentEntry.patientId"),
            ExternalIdentifier(DocumentUniqueIdScheme, DocumentId, "uniqueId", entry.UniqueId, "XDSDocumentEntry.uniqueId"));

        var submissionSet = new XElement(Rim + "RegistryPackage",
            new XAttribute("id", SubmissionSetId),
            Slot("submissionTime", Dtm(submission.SubmissionTime)),
            // XTN with an e-mail address (ITI TF-3 §4.2.3.3.10): the XDM recipient.
            Slot("intendedRecipient", $"|^^Internet^{submission.IntendedRecipient}"),
            Name("Document transmis par messagerie sécurisée de santé"),
            entry.Authors.Select((a, i) => Author(SubmissionSetAuthorScheme, SubmissionSetId, $"ssAuthor{i + 1:00}", a)),
            Classification(ContentTypeCodeScheme, SubmissionSetId, "contentTypeCode", entry.TypeCode),
            ExternalIdentifier(SubmissionSetUniqueIdScheme, SubmissionSetId, "ssUniqueId", submission.UniqueId, "XDSSubmissionSet.uniqueId"),
            ExternalIdentifier(SubmissionSetSourceIdScheme, SubmissionSetId, "ssSourceId", submission.SourceId, "XDSSubmissionSet.sourceId"),
            ExternalIdentifier(SubmissionSetPatientIdScheme, SubmissionSetId, "ssPatientId", entry.PatientId, "XDSSubmissionSet.patientId"));

        var root = new XElement(Lcm + "SubmitObjectsRequest",
            new XAttribute(XNamespace.Xmlns + "lcm", Lcm.NamespaceName), new XAttribute(XNamespace.Xmlns + "rim", Rim.NamespaceName),
            new XElement(Rim + "RegistryObjectList",
                document,
                submissionSet,
                new XElement(Rim + "Classification",
                    new XAttribute("id", "ssClassification"), new XAttribute("classifiedObject", SubmissionSetId),
                    new XAttribute("classificationNode", SubmissionSetNode)),
                new XElement(Rim + "Association",
                    new XAttribute("id", "ssHasMember"),
                    new XAttribute("associationType", "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"),
                    new XAttribute("sourceObject", SubmissionSetId), new XAttribute("targetObject", DocumentId),
                    Slot("SubmissionSetStatus", "Original"))));

        using var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, NewLineChars = "\n" };
        using (var writer = XmlWriter.Create(buffer, settings))
            new XDocument(new XDeclaration("1.0", "UTF-8", null), root).Save(writer);
        return buffer.ToArray();
    }

    private static XElement? Slot(string name, params string[] values) =>
        values.Length == 0 ? null
            : new XElement(Rim + "Slot", new XAttribute("name", name),
                new XElement(Rim + "ValueList", values.Select(v => new XElement(Rim + "Value", v))));

    private static XElement Name(string value) =>
        new(Rim + "Name", new XElement(Rim + "LocalizedString", new XAttribute("value", value)));

    private static XElement? Classification(string scheme, string classified, string id, XdsCode? code) =>
        code is null ? null
            : new XElement(Rim + "Classification",
                new XAttribute("id", id), new XAttribute("classificationScheme", scheme),
                new XAttribute("classifiedObject", classified), new XAttribute("nodeRepresentation", code.Code),
                Slot("codingScheme", code.CodingScheme),
                Name(code.Display));

    private static XElement Author(string scheme, string classified, string id, XdmAuthor author) =>
        new(Rim + "Classification",
            new XAttribute("id", id), new XAttribute("classificationScheme", scheme),
            new XAttribute("classifiedObject", classified), new XAttribute("nodeRepresentation", ""),
            author.Person is null ? null : Slot("authorPerson", author.Person),
            Slot("authorInstitution", [.. author.Institutions]),
            Slot("authorRole", [.. author.Roles]),
            Slot("authorSpecialty", [.. author.Specialties]));

    private static XElement ExternalIdentifier(string scheme, string registryObject, string id, string value, string name) =>
        new(Rim + "ExternalIdentifier",
            new XAttribute("id", id), new XAttribute("identificationScheme", scheme),
            new XAttribute("registryObject", registryObject), new XAttribute("value", value),
            Name(name));

    /// <summary>XDS DTM: UTC, to the second.</summary>
    private static string Dtm(DateTimeOffset value) => value.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    private static string IndexHtml(XdmDocumentEntry entry) =>
        $"""
        <!DOCTYPE html>
        <html lang="fr"><head><meta charset="utf-8"><title>IHE XDM</title></head>
        <body>
        <h1>Contenu de l'archive IHE XDM</h1>
        <ul>
        <li><a href="README.TXT">README.TXT</a></li>
        <li><a href="{SubsetFolder}{entry.FileName}">{WebUtility.HtmlEncode(entry.Title)}</a> ({WebUtility.HtmlEncode(entry.MimeType)})</li>
        <li><a href="{MetadataPath}">Métadonnées XDS (METADATA.XML)</a></li>
        </ul>
        </body></html>

        """.ReplaceLineEndings("\r\n");

    private static string ReadmeText(XdmDocumentEntry entry) =>
        $"""
        Archive IHE XDM produite par FhirCoordGateway.
        Editeur : FhirCoordGateway ; logiciel : FhirCoordGateway.
        Contenu : un lot de soumission (IHE_XDM/SUBSET01) contenant {entry.FileName} ({entry.MimeType})
        et ses métadonnées XDS (IHE_XDM/SUBSET01/METADATA.XML).
        Ouvrir INDEX.HTM pour parcourir le contenu.

        """.ReplaceLineEndings("\r\n");
}
