using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Discharge summaries in: MHD ITI-65 Provide Document Bundle (MHD Document Recipient, PDSm) and FHIR
/// document Bundles posted to [base]/Bundle; INS matching, trait mismatch, replacement.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DocumentIngestionTests(GatewayFactory gateway)
{
    private static string Unique() => "urn:uuid:" + Guid.NewGuid();

    /// <summary>ITI-65 as R4 JSON (see <see cref="DocumentData.R4Json"/>); a failure throws like FhirClient would.</summary>
    private async Task<Bundle> Provide(Bundle bundle)
    {
        var (status, response, outcome) = await DocumentData.PostAsync(gateway.CreateClient(), bundle);
        return status == HttpStatusCode.OK ? response! : throw new FhirOperationException($"ITI-65 failed: {status} {string.Join(" | ", outcome?.Issue.Select(i => i.Diagnostics + " @" + string.Join(",", i.Expression)) ?? [])}", status, outcome);
    }

    private static string IdOf(Bundle.EntryComponent entry) => entry.Response.Location.Split('/')[1];

    [Fact]
    public async Task GivenProvideDocumentBundle_WhenPosting_ThenTransactionResponseAsMhdSaysAndAllStored()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        var pdf = DocumentData.Pdf();

        var response = (await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), pdf)))!;

        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        Assert.Equal(5, response.Entry.Count);
        Assert.All(response.Entry, e => Assert.Equal("201 Created", e.Response.Status));
        Assert.Equal(["List", "DocumentReference", "Binary", "Patient", "Organization"], response.Entry.Select(e => e.Response.Location.Split('/')[0]));
        var document = (await client.ReadAsync<DocumentReference>($"DocumentReference/{IdOf(response.Entry[1])}"))!;
        Assert.Equal($"Patient/{IdOf(response.Entry[3])}", document.Subject.Reference);
        Assert.Equal($"Binary/{IdOf(response.Entry[2])}", document.Content[0].Attachment.Url);
        var list = (await client.ReadAsync<List>($"List/{IdOf(response.Entry[0])}"))!;
        Assert.Equal($"DocumentReference/{IdOf(response.Entry[1])}", list.Entry[0].Item.Reference);
        var binary = (await client.ReadAsync<Binary>($"Binary/{IdOf(response.Entry[2])}"))!;
        Assert.Equal(pdf, binary.Data);
        // Routing (issue 6) recognises a new document by its change-log row: DocumentReference, create.
        Assert.Equal([(1, "create")], await Db.ChangeLog("DocumentReference", IdOf(response.Entry[1])));
    }

    [Fact]
    public async Task GivenKnownInsWithSameTraits_WhenProviding_ThenTheStoredPatientIsUsedNotDuplicated()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        var first = (await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf())))!;

        // Same person, name written differently (case, accent): still the same traits.
        var second = (await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir, "Lefèbvre"), Unique(), DocumentData.Pdf())))!;

        Assert.Equal("200 OK", second.Entry[3].Response.Status);
        Assert.Equal(first.Entry[3].Response.Location, second.Entry[3].Response.Location);
        var document = (await client.ReadAsync<DocumentReference>($"DocumentReference/{IdOf(second.Entry[1])}"))!;
        Assert.Equal($"Patient/{IdOf(first.Entry[3])}", document.Subject.Reference);
        Assert.Equal(1, await Db.CountContaining(nir, "Patient"));
    }

    [Fact]
    public async Task GivenKnownInsWithOtherTraits_WhenProviding_Then422NamingTheTraitsAndNothingStored()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf()));
        var impostor = DocumentData.InsPatient(nir, "DURAND");
        impostor.BirthDate = "1950-01-01";
        var uniqueId = Unique();

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => Provide(DocumentData.ProvideBundle(impostor, uniqueId, DocumentData.Pdf())));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        var issue = Assert.Single(error.Outcome!.Issue);
        Assert.Equal(OperationOutcome.IssueType.BusinessRule, issue.Code);
        Assert.Equal(["Bundle.entry[3].resource.name", "Bundle.entry[3].resource.birthDate"], issue.Expression);
        Assert.Contains("birth family name, birth date", issue.Diagnostics);
        Assert.Contains("refused rather than merged", issue.Diagnostics);
        Assert.DoesNotContain("LEFEBVRE", issue.Diagnostics); // the stored identity is not disclosed
        Assert.Equal(0, await Db.CountContaining(uniqueId));
        Assert.Equal(1, await Db.CountContaining(nir, "Patient"));
    }

    [Fact]
    public async Task GivenReplacingDocument_WhenProviding_ThenTheOldDocumentReferenceIsSuperseded()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        var first = (await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf())))!;
        var oldId = IdOf(first.Entry[1]);

        var second = (await Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf(), $"DocumentReference/{oldId}")))!;

        var old = (await client.ReadAsync<DocumentReference>($"DocumentReference/{oldId}"))!;
        Assert.Equal(DocumentReferenceStatus.Superseded, old.Status);
        Assert.Equal([(1, "create"), (2, "update")], await Db.ChangeLog("DocumentReference", oldId));
        var replacement = (await client.ReadAsync<DocumentReference>($"DocumentReference/{IdOf(second.Entry[1])}"))!;
        Assert.Equal($"DocumentReference/{oldId}", replacement.RelatesTo[0].Target.Reference);
        Assert.Equal(DocumentReferenceStatus.Current, replacement.Status);

        // Replacing it again is refused: it is no longer current.
        var again = await Assert.ThrowsAsync<FhirOperationException>(() => Provide(
            DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf(), $"DocumentReference/{oldId}")));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("Bundle.entry[1].resource.relatesTo", again.Outcome!.Issue[0].Expression.First());
    }

    [Fact]
    public async Task GivenHashOrSizeNotMatchingTheBinary_WhenProviding_Then422()
    {
        var client = gateway.Fhir();
        var bundle = DocumentData.ProvideBundle(DocumentData.InsPatient(DocumentData.NewNir()), Unique(), DocumentData.Pdf());
        ((DocumentReference)bundle.Entry[1].Resource).Content[0].Attachment.Hash = new byte[20];

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => Provide(bundle));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Bundle.entry[1].resource.content[0].attachment.hash"], error.Outcome!.Issue[0].Expression);
    }

    [Fact]
    public async Task GivenAttachmentNotInTheBundle_WhenProviding_Then422()
    {
        var client = gateway.Fhir();
        var bundle = DocumentData.ProvideBundle(DocumentData.InsPatient(DocumentData.NewNir()), Unique(), DocumentData.Pdf());
        ((DocumentReference)bundle.Entry[1].Resource).Content[0].Attachment.Url = "http://elsewhere.example/doc.pdf";

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => Provide(bundle));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Contains("XDSMissingDocument", error.Outcome!.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task GivenDocumentBundle_WhenPostingToBundle_ThenStoredIntactAndIndexedAsDocumentReference()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        var identifier = Unique();
        var document = DocumentData.Document(DocumentData.InsPatient(nir), identifier);

        var stored = (await client.CreateAsync(document))!;

        Assert.Equal("201", client.LastResult!.Status);
        Assert.Equal(Bundle.BundleType.Document, stored.Type);
        Assert.Equal(3, stored.Entry.Count);
        Assert.Equal(((Composition)document.Entry[0].Resource).Title, ((Composition)stored.Entry[0].Resource).Title);
        Assert.Equal(document.Entry[0].FullUrl, stored.Entry[0].FullUrl); // intact: references inside are not rewritten
        var index = (await client.SearchAsync<DocumentReference>([$"identifier=urn:ietf:rfc:3986|{identifier}"]))!;
        var documentReference = Assert.IsType<DocumentReference>(Assert.Single(index.Entry).Resource);
        Assert.Equal($"Bundle/{stored.Id}", documentReference.Content[0].Attachment.Url);
        Assert.Equal("34112-3", documentReference.Type.Coding[0].Code);
        Assert.Equal(DocumentReferenceStatus.Current, documentReference.Status);
        var patient = (await client.ReadAsync<Patient>(documentReference.Subject.Reference))!;
        Assert.Equal(nir, patient.Identifier.Single(i => i.System == DocumentData.NirSystem).Value);
    }

    [Fact]
    public async Task GivenSameDocumentTwice_WhenPostingToBundle_ThenIndexedOnce()
    {
        var client = gateway.Fhir();
        var identifier = Unique();
        var nir = DocumentData.NewNir();
        var first = (await client.CreateAsync(DocumentData.Document(DocumentData.InsPatient(nir), identifier)))!;

        var second = (await client.CreateAsync(DocumentData.Document(DocumentData.InsPatient(nir), identifier)))!;

        Assert.Equal("200", client.LastResult!.Status);
        Assert.Equal(first.Id, second.Id);
        Assert.Single((await client.SearchAsync<DocumentReference>([$"identifier=urn:ietf:rfc:3986|{identifier}"]))!.Entry);
    }

    [Fact]
    public async Task GivenDocumentForKnownIns_WhenPostingToBundle_ThenMatchedPatientAndReplacementSupersedes()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        var (firstId, secondId) = (Unique(), Unique());
        await client.CreateAsync(DocumentData.Document(DocumentData.InsPatient(nir), firstId));

        await client.CreateAsync(DocumentData.Document(DocumentData.InsPatient(nir), secondId, replacesIdentifier: firstId));

        var old = (DocumentReference)(await client.SearchAsync<DocumentReference>([$"identifier=urn:ietf:rfc:3986|{firstId}"]))!.Entry.Single().Resource;
        var replacement = (DocumentReference)(await client.SearchAsync<DocumentReference>([$"identifier=urn:ietf:rfc:3986|{secondId}"]))!.Entry.Single().Resource;
        Assert.Equal(DocumentReferenceStatus.Superseded, old.Status);
        Assert.Equal($"DocumentReference/{old.Id}", replacement.RelatesTo[0].Target.Reference);
        Assert.Equal(old.Subject.Reference, replacement.Subject.Reference);
        Assert.Equal(1, await Db.CountContaining(nir, "Patient"));
    }

    [Fact]
    public async Task GivenDocumentWhoseInsTraitsDisagree_WhenPostingToBundle_Then422AndNothingStored()
    {
        var client = gateway.Fhir();
        var nir = DocumentData.NewNir();
        await client.CreateAsync(DocumentData.Document(DocumentData.InsPatient(nir), Unique()));
        var identifier = Unique();
        var other = DocumentData.InsPatient(nir);
        other.Gender = AdministrativeGender.Male;

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(DocumentData.Document(other, identifier)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Patient.gender"], error.Outcome!.Issue[0].Expression);
        Assert.Equal(0, await Db.CountContaining(identifier));
    }

    [Fact]
    public async Task GivenDocumentWithoutInsOrComposition_WhenPostingToBundle_Then4xx()
    {
        var client = gateway.Fhir();
        var noIns = DocumentData.Document(TestData.Patient(), Unique());
        var noComposition = DocumentData.Document(DocumentData.InsPatient(DocumentData.NewNir()), Unique());
        noComposition.Entry.RemoveAt(0);

        var first = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(noIns));
        var second = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(noComposition));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, first.Status);
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
    }

    [Fact]
    public async Task GivenTenParallelSubmissionsForOneNewIns_ThenOnePatientAndTenDocuments()
    {
        var nir = DocumentData.NewNir();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Provide(DocumentData.ProvideBundle(DocumentData.InsPatient(nir), Unique(), DocumentData.Pdf(512)))));

        Assert.Single(responses.Select(r => r.Entry[3].Response.Location).Distinct());
        Assert.Single(responses, r => r.Entry[3].Response.Status == "201 Created");
        Assert.Equal(1, await Db.CountContaining(nir, "Patient"));
        Assert.Equal(10, responses.Select(r => r.Entry[1].Response.Location).Distinct().Count());
    }
}
