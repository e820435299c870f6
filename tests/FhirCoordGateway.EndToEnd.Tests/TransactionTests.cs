using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using System.Security.Claims;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Transactions: all or nothing, ordering, references, conditionals. https://hl7.org/fhir/R4/http.html#transaction</summary>
[Collection(GatewayCollection.Name)]
public sealed class TransactionTests(GatewayFactory gateway)
{
    internal static string Urn() => "urn:uuid:" + Guid.NewGuid();

    internal static Bundle.EntryComponent Entry(Bundle.HTTPVerb method, string url, Resource? resource = null, string? fullUrl = null) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = method, Url = url },
    };

    internal static Bundle Transaction(params Bundle.EntryComponent[] entries) =>
        new() { Type = Bundle.BundleType.Transaction, Entry = entries.ToList() };

    private static Practitioner Practitioner(string marker) => new()
    {
        Identifier = [new Identifier("urn:test", marker)],
        Name = [new HumanName { Family = "Durand-tx", Given = ["Alice"] }],
    };

    [Fact]
    public async Task GivenUrnUuidReferences_WhenTransaction_ThenAllStoredInOrderAndEveryReferenceRewritten()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("tx-ref");
        var (patientUrn, practitionerUrn, binaryUrn) = (Urn(), Urn(), Urn());
        var careTeam = new CareTeam
        {
            Identifier = [new Identifier("urn:test", marker)],
            Subject = new ResourceReference(patientUrn),
            Participant = [new CareTeam.ParticipantComponent { Member = new ResourceReference(practitionerUrn) }],
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">Team of <a href=\"{patientUrn}\">the patient</a></div>" },
        };
        var document = new DocumentReference
        {
            Identifier = [new Identifier("urn:test", marker)],
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference(patientUrn),
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Url = binaryUrn } }],
        };
        var patient = TestData.Patient(marker);

        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "CareTeam", careTeam, Urn()),
            Entry(Bundle.HTTPVerb.POST, "Patient", patient, patientUrn),
            Entry(Bundle.HTTPVerb.POST, "Practitioner", Practitioner(marker), practitionerUrn),
            Entry(Bundle.HTTPVerb.POST, "Binary", new Binary { ContentType = "text/plain", Data = "CRH"u8.ToArray() }, binaryUrn),
            Entry(Bundle.HTTPVerb.POST, "DocumentReference", document, Urn()))))!;

        Assert.Equal(Bundle.BundleType.TransactionResponse, response.Type);
        Assert.Equal(5, response.Entry.Count);
        Assert.All(response.Entry, e => Assert.Equal("201 Created", e.Response.Status));
        Assert.All(response.Entry, e => Assert.Equal("W/\"1\"", e.Response.Etag));
        Assert.All(response.Entry, e => Assert.NotNull(e.Response.LastModified));
        Assert.Equal(["CareTeam", "Patient", "Practitioner", "Binary", "DocumentReference"], response.Entry.Select(e => e.Response.Location.Split('/')[0]));
        var patientId = response.Entry[1].Response.Location.Split('/')[1];
        var practitionerId = response.Entry[2].Response.Location.Split('/')[1];
        var binaryId = response.Entry[3].Response.Location.Split('/')[1];

        var storedTeam = (await client.ReadAsync<CareTeam>(response.Entry[0].Response.Location.Split("/_history")[0]))!;
        Assert.Equal($"Patient/{patientId}", storedTeam.Subject.Reference);
        Assert.Equal($"Practitioner/{practitionerId}", storedTeam.Participant[0].Member.Reference);
        Assert.Contains($"href=\"Patient/{patientId}\"", storedTeam.Text.Div);
        var storedDocument = (await client.ReadAsync<DocumentReference>(response.Entry[4].Response.Location.Split("/_history")[0]))!;
        Assert.Equal($"Binary/{binaryId}", storedDocument.Content[0].Attachment.Url);
        Assert.Equal($"Patient/{patientId}", storedDocument.Subject.Reference);
    }

    [Fact]
    public async Task GivenEntriesInAnyOrder_WhenTransaction_ThenDeleteThenPostThenPutThenGet()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("tx-order");
        var toDelete = (await client.CreateAsync(TestData.Patient(ipp)))!;
        var toUpdate = (await client.CreateAsync(TestData.Patient(TestData.Unique("tx-upd"))))!;
        toUpdate.Name[0].Family = "Updated-in-tx";

        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.GET, $"Patient/{toUpdate.Id}"),
            Entry(Bundle.HTTPVerb.PUT, $"Patient/{toUpdate.Id}", toUpdate),
            new Bundle.EntryComponent
            {
                // Finds nothing because the DELETE below runs first, so it creates.
                Resource = TestData.Patient(ipp, "Recreated"),
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier={TestData.Ipp}|{ipp}" },
            },
            Entry(Bundle.HTTPVerb.DELETE, $"Patient/{toDelete.Id}"))))!;

        Assert.Equal(["200 OK", "200 OK", "201 Created", "204 No Content"], response.Entry.Select(e => e.Response.Status));
        Assert.Equal("Updated-in-tx", Assert.IsType<Patient>(response.Entry[0].Resource).Name[0].Family);
        Assert.Equal("W/\"2\"", response.Entry[0].Response.Etag);
        Assert.NotEqual(toDelete.Id, response.Entry[2].Response.Location.Split('/')[1]);
        Assert.Equal("W/\"2\"", response.Entry[3].Response.Etag);
        Assert.Equal([(1, "create"), (2, "delete")], await Db.ChangeLog("Patient", toDelete.Id));
    }

    [Fact]
    public async Task GivenConditionalReference_WhenTransaction_ThenResolvedToTheSingleMatch()
    {
        var client = gateway.Fhir();
        var existing = (await client.CreateAsync(TestData.Patient()))!;
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "29463-7"),
            Subject = new ResourceReference($"Patient?identifier={TestData.Ipp}|{TestData.IppOf(existing)}"),
        };

        var response = (await client.TransactionAsync(Transaction(Entry(Bundle.HTTPVerb.POST, "Observation", observation, Urn()))))!;

        var stored = (await client.ReadAsync<Observation>(response.Entry[0].Response.Location.Split("/_history")[0]))!;
        Assert.Equal($"Patient/{existing.Id}", stored.Subject.Reference);
    }

    [Fact]
    public async Task GivenConditionalReferenceMatchingTwo_WhenTransaction_Then412AndNothingStored()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("tx-two");
        await client.CreateAsync(TestData.Patient(ipp));
        await client.CreateAsync(TestData.Patient(ipp));
        var marker = TestData.Unique("tx-412");

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Practitioner", Practitioner(marker), Urn()),
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam
            {
                Identifier = [new Identifier("urn:test", marker)],
                Subject = new ResourceReference($"Patient?identifier={TestData.Ipp}|{ipp}"),
            }, Urn()))));

        Assert.Equal(HttpStatusCode.PreconditionFailed, error.Status);
        var issue = Assert.Single(error.Outcome!.Issue);
        Assert.Equal(OperationOutcome.IssueType.Conflict, issue.Code);
        Assert.Equal(["Bundle.entry[1].resource.subject.reference"], issue.Expression);
        Assert.Contains("more than one", issue.Diagnostics);
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenIfNoneExistMatch_WhenTransaction_ThenExistingReturnedAndReferencesPointAtIt()
    {
        var client = gateway.Fhir();
        var existing = (await client.CreateAsync(TestData.Patient()))!;
        var patientUrn = Urn();
        var response = (await client.TransactionAsync(Transaction(
            new Bundle.EntryComponent
            {
                FullUrl = patientUrn,
                Resource = TestData.Patient(TestData.IppOf(existing), "Ignored"),
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient", IfNoneExist = $"identifier={TestData.Ipp}|{TestData.IppOf(existing)}" },
            },
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Subject = new ResourceReference(patientUrn) }, Urn()))))!;

        Assert.Equal("200 OK", response.Entry[0].Response.Status);
        Assert.Equal($"Patient/{existing.Id}/_history/1", response.Entry[0].Response.Location);
        var team = (await client.ReadAsync<CareTeam>(response.Entry[1].Response.Location.Split("/_history")[0]))!;
        Assert.Equal($"Patient/{existing.Id}", team.Subject.Reference);
        Assert.Equal("Martin-e2e", (await client.ReadAsync<Patient>($"Patient/{existing.Id}"))!.Name[0].Family);
    }

    [Fact]
    public async Task GivenConditionalUpdateAndDeleteAndIfMatch_WhenTransaction_ThenEachAppliedToItsMatch()
    {
        var client = gateway.Fhir();
        var (updIpp, delIpp) = (TestData.Unique("tx-cu"), TestData.Unique("tx-cd"));
        var toUpdate = (await client.CreateAsync(TestData.Patient(updIpp)))!;
        var toDelete = (await client.CreateAsync(TestData.Patient(delIpp)))!;
        var versioned = (await client.CreateAsync(TestData.Patient()))!;
        versioned.Active = true;
        var update = TestData.Patient(updIpp, "Cond-updated");

        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.PUT, $"Patient?identifier={TestData.Ipp}|{updIpp}", update),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient?identifier={TestData.Ipp}|{delIpp}"),
            new Bundle.EntryComponent
            {
                Resource = versioned,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{versioned.Id}", IfMatch = "W/\"1\"" },
            })))!;

        Assert.Equal(["200 OK", "204 No Content", "200 OK"], response.Entry.Select(e => e.Response.Status));
        Assert.Equal($"Patient/{toUpdate.Id}/_history/2", response.Entry[0].Response.Location);
        Assert.Equal("Cond-updated", (await client.ReadAsync<Patient>($"Patient/{toUpdate.Id}"))!.Name[0].Family);
        var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{toDelete.Id}"));
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.Equal("W/\"2\"", response.Entry[2].Response.Etag);
    }

    [Fact]
    public async Task GivenStaleIfMatch_WhenTransaction_Then412NamingTheEntryAndNothingStored()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("tx-stale");
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        patient = (await client.UpdateAsync(patient))!;
        patient.Identifier.Add(new Identifier("urn:test", marker));

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
            new Bundle.EntryComponent
            {
                Resource = patient,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"Patient/{patient.Id}", IfMatch = "W/\"1\"" },
            })));

        Assert.Equal(HttpStatusCode.PreconditionFailed, error.Status);
        Assert.Equal("Bundle.entry[1]", error.Outcome!.Issue[0].Expression.First());
        Assert.StartsWith("Bundle.entry[1] (PUT Patient/", error.Outcome.Issue[0].Diagnostics);
        Assert.Equal(0, await Db.CountContaining(marker));
        Assert.Equal("2", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenTwoEntriesOnTheSameResource_WhenTransaction_Then400NamingBothAndNothingStored()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("tx-dup");
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        var ipp = TestData.IppOf(patient);

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Practitioner", Practitioner(marker), Urn()),
            Entry(Bundle.HTTPVerb.PUT, $"Patient/{patient.Id}", patient),
            Entry(Bundle.HTTPVerb.PUT, $"Patient?identifier={TestData.Ipp}|{ipp}", TestData.Patient(ipp, "Second")))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        var issue = Assert.Single(error.Outcome!.Issue);
        Assert.Equal(OperationOutcome.IssueType.Invalid, issue.Code);
        Assert.Equal("Bundle.entry[2]", issue.Expression.First());
        Assert.Contains("Bundle.entry[1] (PUT Patient/", issue.Diagnostics);
        Assert.Contains($"both touch Patient/{patient.Id}", issue.Diagnostics);
        Assert.Equal(0, await Db.CountContaining(marker));
        Assert.Equal("1", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenDeleteAndUpdateOfTheSameResource_WhenTransaction_Then400()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(TestData.Patient()))!;

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.PUT, $"Patient/{patient.Id}", patient),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient/{patient.Id}"))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Equal("1", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenFourthEntryInvalid_WhenTransaction_ThenOneOutcomeNamingEntry3AndNothingStored()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("tx-rollback");
        var deleted = (await client.CreateAsync(TestData.Patient()))!;
        var wrongId = TestData.Patient(marker);
        wrongId.Id = "not-the-url-id";

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
            Entry(Bundle.HTTPVerb.POST, "Practitioner", Practitioner(marker), Urn()),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient/{deleted.Id}"),
            Entry(Bundle.HTTPVerb.PUT, $"Patient/{TestData.Unique("url-id")}", wrongId))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        var issue = Assert.Single(error.Outcome!.Issue);
        Assert.Equal(["Bundle.entry[3].resource.id"], issue.Expression);
        Assert.Equal(0, await Db.CountContaining(marker));
        Assert.Equal(0, await Db.ChangeLogRowsContaining(marker));
        Assert.Equal("1", (await client.ReadAsync<Patient>($"Patient/{deleted.Id}"))!.Meta.VersionId); // the delete rolled back too
    }

    [Fact]
    public async Task GivenMutuallyReferencingResources_WhenTransaction_ThenBothStoredPointingAtEachOther()
    {
        // Circular references between entries are legal (ids are assigned before anything is written).
        var client = gateway.Fhir();
        var (a, b) = (Urn(), Urn());
        var first = TestData.Patient();
        first.Link = [new Patient.LinkComponent { Other = new ResourceReference(b), Type = Patient.LinkType.Seealso }];
        var second = TestData.Patient();
        second.Link = [new Patient.LinkComponent { Other = new ResourceReference(a), Type = Patient.LinkType.Seealso }];

        var response = (await client.TransactionAsync(Transaction(Entry(Bundle.HTTPVerb.POST, "Patient", first, a), Entry(Bundle.HTTPVerb.POST, "Patient", second, b))))!;

        var (idA, idB) = (response.Entry[0].Response.Location.Split('/')[1], response.Entry[1].Response.Location.Split('/')[1]);
        Assert.Equal($"Patient/{idB}", (await client.ReadAsync<Patient>($"Patient/{idA}"))!.Link[0].Other.Reference);
        Assert.Equal($"Patient/{idA}", (await client.ReadAsync<Patient>($"Patient/{idB}"))!.Link[0].Other.Reference);
    }

    [Fact]
    public async Task GivenReadAndSearchEntries_WhenTransaction_ThenTheySeeTheTransactionsOwnWrites()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("tx-get");
        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.GET, $"Patient?identifier={TestData.Ipp}|{ipp}"),
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(ipp), Urn()))))!;

        var searchset = Assert.IsType<Bundle>(response.Entry[0].Resource);
        Assert.Equal(1, searchset.Total);
        Assert.Equal(response.Entry[1].Response.Location.Split('/')[1], searchset.Entry[0].Resource.Id);
    }

    [Fact]
    public async Task GivenPreferRepresentation_WhenTransaction_ThenEachEntryCarriesTheStoredResource()
    {
        var http = gateway.CreateClient();
        var bundle = Transaction(Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(), Urn()));
        var request = Http.Request(HttpMethod.Post, "/fhir", Http.Json(FhirJsonSerializer.Default.SerializeToString(bundle)), ("Prefer", "return=representation"));

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = new FhirJsonDeserializer().Deserialize<Bundle>(await response.Content.ReadAsStringAsync());
        var patient = Assert.IsType<Patient>(body.Entry[0].Resource);
        Assert.Equal("1", patient.Meta.VersionId);
        Assert.EndsWith($"/fhir/Patient/{patient.Id}", body.Entry[0].FullUrl);
    }

    [Fact]
    public async Task GivenAuthorizerRefusingDeletes_WhenTransactionHasADelete_Then403NamingItAndNothingStored()
    {
        using var factory = GatewayFactory.With(s => s.AddSingleton<IRequestAuthorizer>(new DenyDeletes()));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());
        var marker = TestData.Unique("tx-403");
        var patient = (await client.CreateAsync(TestData.Patient()))!;

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
            Entry(Bundle.HTTPVerb.DELETE, $"Patient/{patient.Id}"))));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Equal("Bundle.entry[1]", error.Outcome!.Issue[0].Expression.First());
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenXmlTransaction_WhenPosting_ThenXmlTransactionResponse()
    {
        var client = gateway.Fhir(ResourceFormat.Xml);
        var patientUrn = Urn();

        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(), patientUrn),
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Subject = new ResourceReference(patientUrn) }, Urn()))))!;

        Assert.Equal(["201 Created", "201 Created"], response.Entry.Select(e => e.Response.Status));
        var team = (await client.ReadAsync<CareTeam>(response.Entry[1].Response.Location.Split("/_history")[0]))!;
        Assert.Equal(response.Entry[0].Response.Location.Split("/_history")[0], team.Subject.Reference);
    }

    private sealed class DenyDeletes : IRequestAuthorizer
    {
        public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct) =>
            request.Interaction == FhirInteraction.Delete
                ? throw FhirOutcomeException.Of(FailureKind.Forbidden, "Deletes are not allowed.")
                : ValueTask.CompletedTask;
    }
}
