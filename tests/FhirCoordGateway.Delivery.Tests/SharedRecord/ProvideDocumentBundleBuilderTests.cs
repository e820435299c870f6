using System.Security.Cryptography;
using System.Text.Json;
using FhirCoordGateway.Delivery.SharedRecord;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

public class ProvideDocumentBundleBuilderTests
{
    [Fact]
    public void GivenStoredCrh_WhenBuilding_ThenBundleValidatesAgainstLocalProfilesWithoutErrors()
    {
        var bundle = Builder().Build(Crh()).Bundle;

        var result = Validator.Validate(bundle, [BundleProfile]);

        Assert.False(result.HasErrors, Describe(result));
        // Only the claims of PDSm profiles we do not hold are left as warnings.
        Assert.All(result.Issues.Where(i => i.Severity == OperationOutcome.IssueSeverity.Warning),
            i => Assert.Contains("interop.esante.gouv.fr/ig/fhir/pdsm", i.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void GivenStoredCrh_WhenBuilding_ThenTransactionPostsSubmissionSetDocumentAndBinaryUnderUrnUuids()
    {
        var bundle = Builder().Build(Crh()).Bundle;

        Assert.Equal(Bundle.BundleType.Transaction, bundle.Type);
        Assert.Equal(["List", "DocumentReference", "Binary"], bundle.Entry.Select(e => e.Request.Url));
        Assert.All(bundle.Entry, e => Assert.Equal(Bundle.HTTPVerb.POST, e.Request.Method));
        Assert.All(bundle.Entry, e => Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", e.FullUrl));
        Assert.Equal(3, bundle.Entry.Select(e => e.FullUrl).Distinct().Count());
        Assert.Equal("https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle", Assert.Single(bundle.Meta.Profile));
    }

    [Fact]
    public void GivenStoredCrh_WhenSerializing_ThenAttachmentSizeIsAJsonNumber()
    {
        var json = new FhirJsonSerializer().SerializeToString(Builder().Build(Crh()).Bundle);

        using var doc = JsonDocument.Parse(json);
        var size = doc.RootElement.GetProperty("entry")[1].GetProperty("resource").GetProperty("content")[0].GetProperty("attachment").GetProperty("size");
        Assert.Equal(JsonValueKind.Number, size.ValueKind);
        Assert.Equal(CrhPdf.Length, size.GetInt32());
    }

    [Fact]
    public void GivenStoredCrh_WhenBuilding_ThenDocumentReferenceCarriesPdsmMetadata()
    {
        var outbound = Crh();
        var submission = Builder().Build(outbound);
        var entries = submission.Bundle.Entry;
        var document = (DocumentReference)entries[1].Resource;
        var binary = (Binary)entries[2].Resource;

        Assert.Equal(1, submission.DocumentEntryIndex);
        Assert.Equal("urn:uuid:c3ff1c6c-3792-53f5-ae4c-bb0c226b8366", submission.UniqueId);
        Assert.Equal(("urn:ietf:rfc:3986", "urn:uuid:c3ff1c6c-3792-53f5-ae4c-bb0c226b8366"), (document.MasterIdentifier.System, document.MasterIdentifier.Value));
        Assert.Equal(entries[1].FullUrl, Assert.Single(document.Identifier).Value);
        Assert.Equal(DocumentReferenceStatus.Current, document.Status);
        Assert.Equal("34112-3", document.Type.Coding[0].Code);
        Assert.Equal(outbound.Document.Category[0].Coding[0].Code, document.Category[0].Coding[0].Code);
        Assert.Equal(("Patient", "urn:oid:1.2.250.1.213.1.4.8", outbound.Patient.Identifier.First(i => i.System == "urn:oid:1.2.250.1.213.1.4.8").Value),
            (document.Subject.Type, document.Subject.Identifier.System, document.Subject.Identifier.Value));
        Assert.Null(document.Subject.Reference);
        Assert.Equal(outbound.Document.Date, document.Date);

        var attachment = document.Content[0].Attachment;
        Assert.Equal(entries[2].FullUrl, attachment.Url);
        Assert.Equal("application/pdf", attachment.ContentType);
        Assert.Equal("fr-FR", attachment.Language);
        Assert.Equal(CrhPdf.Length, (int)attachment.SizeUnsignedInt!);
        Assert.Equal(Convert.ToBase64String(SHA1.HashData(CrhPdf)), Convert.ToBase64String(attachment.Hash));
        Assert.Equal(outbound.Document.Content[0].Attachment.Title, attachment.Title);
        Assert.Equal("urn:ihe:iti:xds-sd:pdf:2008", document.Content[0].Format.Code);
        Assert.Equal(CrhPdf, binary.Data);
        Assert.Equal("application/pdf", binary.ContentType);

        // Authors contained, with the role's practitioner and organization contained too and linked by #id.
        var role = Assert.IsType<PractitionerRole>(document.Contained.Single(c => c.Id == document.Author.Single().Reference.TrimStart('#')));
        Assert.IsType<Practitioner>(document.Contained.Single(c => "#" + c.Id == role.Practitioner.Reference));
        Assert.IsType<Organization>(document.Contained.Single(c => "#" + c.Id == role.Organization.Reference));
        Assert.All(document.Contained, c => Assert.True(c.Meta is null || c.Meta.VersionId is null && c.Meta.LastUpdated is null));
        Assert.Equal(outbound.Authors[1].Meta.Profile, document.Contained.OfType<Practitioner>().Single().Meta.Profile);
        Assert.Equal(("urn:oid:1.2.250.1.71.4.2.2", "Organization"), (document.Custodian.Identifier.System, document.Custodian.Type));
        Assert.Equal(outbound.Custodian!.Name, document.Custodian.Display);
        Assert.Contains(document.SecurityLabel, l => l.Coding.Any(c => c.System == "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"));

        var patient = Assert.IsType<Patient>(document.Contained.Single(c => "#" + c.Id == document.Context.SourcePatientInfo.Reference));
        Assert.Equal(outbound.Patient.BirthDate, patient.BirthDate);
        Assert.Empty(patient.GeneralPractitioner);
        Assert.NotNull(document.Context.Period.StartElement);
        Assert.Equal(outbound.Document.Context.FacilityType.Coding[0].Code, document.Context.FacilityType.Coding[0].Code);
        Assert.Equal(outbound.Document.Context.PracticeSetting.Coding[0].Code, document.Context.PracticeSetting.Coding[0].Code);
    }

    [Fact]
    public void GivenStoredCrh_WhenBuilding_ThenSubmissionSetNamesSourceUniqueIdEntryUuidAuthorPatientAndDocument()
    {
        var bundle = Builder().Build(Crh()).Bundle;
        var list = (List)bundle.Entry[0].Resource;

        Assert.Equal("urn:oid:" + SourceOid, ((Identifier)list.GetExtension("https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId").Value).Value);
        var designation = (CodeableConcept)list.GetExtension("https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType").Value;
        Assert.Equal(((DocumentReference)bundle.Entry[1].Resource).Context.FacilityType.Coding[0].Code, designation.Coding[0].Code);
        var uniqueId = list.Identifier.Single(i => i.Use == Identifier.IdentifierUse.Usual);
        Assert.Matches(@"^urn:oid:2\.25\.[1-9][0-9]{20,39}$", uniqueId.Value);
        Assert.Equal(bundle.Entry[0].FullUrl, list.Identifier.Single(i => i.Use == Identifier.IdentifierUse.Official).Value);
        Assert.Equal(ListMode.Working, list.Mode);
        Assert.Equal(List.ListStatus.Current, list.Status);
        Assert.Equal("submissionset", list.Code.Coding[0].Code);
        Assert.Equal(Now, DateTimeOffset.Parse(list.Date, System.Globalization.CultureInfo.InvariantCulture));
        Assert.IsType<PractitionerRole>(list.Contained.Single(c => "#" + c.Id == list.Source.Reference));
        Assert.IsType<Patient>(list.Contained.Single(c => "#" + c.Id == list.Subject.Reference));
        Assert.Equal(bundle.Entry[1].FullUrl, Assert.Single(list.Entry).Item.Reference);
    }

    [Fact]
    public void GivenDocumentWithoutMasterIdentifier_WhenBuildingTwice_ThenTheDerivedUniqueIdAndFullUrlsAreTheSame()
    {
        var first = Builder().Build(Crh(d => d.MasterIdentifier = null));
        var again = Builder().Build(Crh(d => d.MasterIdentifier = null));
        var other = Builder().Build(Crh(d => { d.MasterIdentifier = null; d.Id = "doc-crh-other-4711"; }));

        Assert.Matches("^urn:uuid:[0-9a-f-]{36}$", first.UniqueId);
        Assert.Equal(first.UniqueId, ((DocumentReference)first.Bundle.Entry[1].Resource).MasterIdentifier.Value);
        Assert.Equal(first.UniqueId, again.UniqueId);
        Assert.Equal(first.Bundle.Entry.Select(e => e.FullUrl), again.Bundle.Entry.Select(e => e.FullUrl));
        Assert.Equal(((List)first.Bundle.Entry[0].Resource).Identifier[0].Value, ((List)again.Bundle.Entry[0].Resource).Identifier[0].Value);
        Assert.NotEqual(first.UniqueId, other.UniqueId);
        Assert.False(Validator.Validate(first.Bundle, [BundleProfile]).HasErrors);
    }

    [Fact]
    public void GivenDocumentWithoutContextCodes_WhenBuilding_ThenConfiguredDefaultsFillThem()
    {
        var options = Options();
        options.DefaultFacilityType = new CodeOption(options.DefaultFacilityType.System, "SA05", "Centre de santé");
        var bundle = Builder(options).Build(Crh(d => { d.Context.FacilityType = null; d.Context.PracticeSetting = null; d.Category.Clear(); d.SecurityLabel.Clear(); })).Bundle;
        var document = (DocumentReference)bundle.Entry[1].Resource;

        Assert.Equal("SA05", document.Context.FacilityType.Coding[0].Code);
        Assert.Equal("AMBULATOIRE", document.Context.PracticeSetting.Coding[0].Code);
        Assert.Equal("11", document.Category.Single().Coding[0].Code);
        Assert.Equal("N", document.SecurityLabel.Single().Coding[0].Code);
        Assert.False(Validator.Validate(bundle, [BundleProfile]).HasErrors, Describe(Validator.Validate(bundle, [BundleProfile])));
    }

    [Fact]
    public void GivenReplacementByReference_WhenTheReplacedDocumentIsProvided_ThenRelatesToNamesItsUniqueId()
    {
        var previous = Example<DocumentReference>("fhircoord-documentreference-pdsm", "valid-ldl-sortie.json");
        var outbound = Crh(d => d.RelatesTo.Add(new DocumentReference.RelatesToComponent
        {
            Code = DocumentRelationshipType.Replaces, Target = new ResourceReference($"DocumentReference/{previous.Id}/_history/2"),
        })) with { Replaced = [previous] };

        var bundle = Builder().Build(outbound).Bundle;
        var relation = Assert.Single(((DocumentReference)bundle.Entry[1].Resource).RelatesTo);

        Assert.Equal(DocumentRelationshipType.Replaces, relation.Code);
        Assert.Null(relation.Target.Reference);
        Assert.Equal(("urn:ietf:rfc:3986", previous.MasterIdentifier.Value), (relation.Target.Identifier.System, relation.Target.Identifier.Value));
        Assert.False(Validator.Validate(bundle, [BundleProfile]).HasErrors);
    }

    [Fact]
    public void GivenReplacementByIdentifier_WhenBuilding_ThenRelatesToKeepsThatUniqueId()
    {
        var outbound = Crh(d => d.RelatesTo.Add(new DocumentReference.RelatesToComponent
        {
            Code = DocumentRelationshipType.Replaces,
            Target = new ResourceReference("DocumentReference/doc-old-91c2") { Identifier = new Identifier("urn:ietf:rfc:3986", "urn:oid:1.2.250.1.999.7.3.42") },
        }));

        var relation = Assert.Single(((DocumentReference)Builder().Build(outbound).Bundle.Entry[1].Resource).RelatesTo);

        Assert.Equal("urn:oid:1.2.250.1.999.7.3.42", relation.Target.Identifier.Value);
    }

    [Fact]
    public void GivenReplacementOfAnUnprovidedDocument_WhenBuilding_ThenPermanentFailure()
    {
        var outbound = Crh(d => d.RelatesTo.Add(new DocumentReference.RelatesToComponent
        {
            Code = DocumentRelationshipType.Replaces, Target = new ResourceReference("DocumentReference/doc-old-91c2"),
        }));

        var failure = Assert.Throws<DeliveryFailedException>(() => Builder().Build(outbound));

        Assert.False(failure.Transient);
        Assert.Contains("DocumentReference/doc-old-91c2", failure.Message);
    }

    [Fact]
    public void GivenPatientWithoutIns_WhenBuilding_ThenPermanentFailureWithoutPatientData()
    {
        var outbound = Crh();
        outbound.Patient.Identifier.RemoveAll(i => i.System?.StartsWith("urn:oid:1.2.250.1.213.1.4.", StringComparison.Ordinal) == true);

        var failure = Assert.Throws<DeliveryFailedException>(() => Builder().Build(outbound));

        Assert.False(failure.Transient);
        Assert.DoesNotContain(outbound.Patient.Name[0].Family, failure.Message, StringComparison.OrdinalIgnoreCase);
    }
}
