using System.Text;
using FhirCoordGateway.Delivery.SecureMessaging;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A discharge summary (CRH) of a patient with a qualified INS, and the connector's settings around it.</summary>
internal static class SecureMessagingTestData
{
    public const string Sender = "gateway-app-9d3f@hopital.test.mssante.fr";
    public const string Recipient = "dr.mt-9d3f@medecin.test.mssante.fr";
    public const string MessageIdDomain = "gateway.test-9d3f.fr";
    public const string SourceId = "1.2.250.1.999.9043.1";
    public const string LocalPatientIdOid = "1.2.250.1.999.9043.2";
    public const string Nir = "255081416802538";
    public const string UniqueId = "1.2.250.1.999.9043.3.4711";
    public static readonly DateTimeOffset Now = new(2026, 3, 14, 9, 26, 53, TimeSpan.Zero);
    public static readonly byte[] PdfContent = Encoding.ASCII.GetBytes("%PDF-1.4\n% CRH 9d3f: compte rendu d'hospitalisation de test\n%%EOF\n");

    public static SecureMessagingOptions Options(int port = 587, TestCertificates? certificates = null) => new()
    {
        Host = "127.0.0.1",
        Port = port,
        SenderAddress = Sender,
        MessageIdDomain = MessageIdDomain,
        SourceId = SourceId,
        LocalPatientIdOid = LocalPatientIdOid,
        ClientCertificatePath = certificates?.ClientPkcs12Path,
        ClientCertificatePassword = certificates is null ? null : TestCertificates.ClientCertificatePassword,
        TrustedCaPath = certificates?.CaPemPath,
        // The test CA publishes no CRL.
        CheckCertificateRevocation = false,
        TimeoutSeconds = 20,
        ProductReference = "NIL-9d3f",
    };

    public static SecureMessageComposer Composer(SecureMessagingOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), new FixedTimeProvider(Now));

    public static SmtpSecureMessagingConnector Connector(SecureMessagingOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), Composer(options), Security(options), NullLogger<SmtpSecureMessagingConnector>.Instance);

    public static MailTransportSecurity Security(SecureMessagingOptions options) => new(Microsoft.Extensions.Options.Options.Create(options));

    public static MdnParser Parser() => new(Microsoft.Extensions.Options.Options.Create(Options()));

    public static OutboundDocument Crh(bool qualifiedIns = true)
    {
        var patient = new Patient
        {
            Id = "pat-9d3f",
            Gender = AdministrativeGender.Female,
            BirthDate = "1988-10-12",
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = "Figatellix", Given = ["Corse"] }],
        };
        if (qualifiedIns)
        {
            patient.Identifier.Add(new Identifier("urn:oid:1.2.250.1.213.1.4.8", Nir) { Use = Identifier.IdentifierUse.Official });
            patient.Extension.Add(new Extension { Url = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability",
                Extension = [new Extension("identityStatus", new Coding("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status", "QUAL"))] });
        }
        var practitioner = new Practitioner
        {
            Id = "prac-9d3f",
            Identifier = [new Identifier("https://rpps.esante.gouv.fr", "10101201234")],
            Name = [new HumanName { Family = "Martin", Given = ["Paul"] }],
        };
        var organization = new Organization
        {
            Id = "org-9d3f",
            Name = "CH Test 9d3f",
            Identifier = [new Identifier("urn:oid:1.2.250.1.71.4.2.2", "1750000099")],
        };
        var reference = new DocumentReference
        {
            Id = "doc-9d3f",
            Meta = new Meta { VersionId = "2" },
            Status = DocumentReferenceStatus.Current,
            MasterIdentifier = new Identifier("urn:ietf:rfc:3986", "urn:oid:" + UniqueId),
            Type = new CodeableConcept("http://loinc.org", "34112-3", "CR hospitalier (séjour)"),
            Category = [new CodeableConcept("urn:oid:1.2.250.1.213.1.1.4.1", "10", "Compte rendu")],
            Date = new DateTimeOffset(2026, 3, 13, 17, 0, 0, TimeSpan.Zero),
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment { ContentType = "application/pdf", Title = "CRH séjour cardiologie 9d3f", Creation = "2026-03-13T16:45:10+01:00" },
                    Format = new Coding("http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode", "urn:ihe:iti:xds-sd:pdf:2008", "PDF embarqué"),
                },
            ],
            Context = new DocumentReference.ContextComponent
            {
                FacilityType = new CodeableConcept("urn:oid:1.2.250.1.71.4.2.4", "SA01", "Etablissement public de santé"),
                PracticeSetting = new CodeableConcept("urn:oid:1.2.250.1.213.1.1.4.9", "ETABLISSEMENT", "Etablissement de santé"),
                Period = new Period { Start = "2026-03-09" },
            },
        };
        return new OutboundDocument(reference, PdfContent, "application/pdf", patient, [practitioner, organization], organization);
    }
}
