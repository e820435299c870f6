using System.Net;
using System.Text;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Transactions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using static FhirCoordGateway.EndToEnd.Tests.TransactionTests;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Hostile bundles: every one answers a 4xx OperationOutcome and leaves nothing half-written.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TransactionHostileTests(GatewayFactory gateway)
{
    private async Task<HttpResponseMessage> PostAsync(string json, HttpClient? http = null) =>
        await (http ?? gateway.CreateClient()).PostAsync("/fhir", Http.Json(json));

    [Theory]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":{\"request\":{}}}", "Bundle.entry[0]")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"POST\",\"url\":\"Patient\"},\"resource\":{\"resourceType\":\"Patient\",\"gender\":17}}]}", "Bundle.entry[0].resource.gender")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}", "line 1")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"FETCH\",\"url\":\"Patient\"}}]}", "Bundle.entry[0].request.method")]
    public async Task GivenMalformedBundle_WhenPosting_Then400WithTheLocation(string json, string location)
    {
        var response = await PostAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = await Http.ReadOutcome(response);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains(location) || i.Location.Contains(location));
    }

    [Theory]
    [InlineData("{\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}", "Bundle.entry[1].resource")]
    [InlineData("{\"resource\":{\"resourceType\":\"Patient\",\"active\":true}}", "Bundle.entry[1].request")]
    [InlineData("{\"request\":{\"method\":\"PUT\",\"url\":\"Patient\"},\"resource\":{\"resourceType\":\"Patient\",\"active\":true}}", "Bundle.entry[1].request.url")]
    [InlineData("{\"request\":{\"method\":\"POST\",\"url\":\"Observation\"},\"resource\":{\"resourceType\":\"Patient\",\"active\":true}}", "Bundle.entry[1].resource")]
    [InlineData("{\"request\":{\"method\":\"GET\",\"url\":\"Patient/1/$everything\"}}", "Bundle.entry[1].request.url")]
    [InlineData("{\"request\":{\"method\":\"GET\",\"url\":\"Unknown/1\"}}", "Bundle.entry[1].request.url")]
    [InlineData("{\"request\":{\"method\":\"PUT\",\"url\":\"Patient/1\",\"ifMatch\":\"three\"},\"resource\":{\"resourceType\":\"Patient\",\"id\":\"1\",\"active\":true}}", "Bundle.entry[1].request.ifMatch")]
    public async Task GivenBadEntry_WhenTransaction_Then400NamingItAndNothingStored(string badEntry, string expression)
    {
        var marker = TestData.Unique("hostile");
        var good = $"{{\"fullUrl\":\"{Urn()}\",\"request\":{{\"method\":\"POST\",\"url\":\"Patient\"}},\"resource\":{{\"resourceType\":\"Patient\",\"identifier\":[{{\"system\":\"urn:test\",\"value\":\"{marker}\"}}]}}}}";

        var response = await PostAsync($"{{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{good},{badEntry}]}}");

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, expression);
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Theory]
    [InlineData("urn:uuid:6a1f4c2e-0000-4000-8000-00000000dead")]
    [InlineData("urn:oid:1.2.3.4.5.6.7")]
    [InlineData("Patient/no-such-patient")]
    [InlineData("Patient?identifier=urn:test|nobody-has-this")]
    public async Task GivenReferenceToNowhere_WhenTransaction_Then400NotFoundAndNothingStored(string reference)
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("nowhere");

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Identifier = [new Identifier("urn:test", marker)], Subject = new ResourceReference(reference) }, Urn()))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        var issue = Assert.Single(error.Outcome!.Issue);
        Assert.Equal(OperationOutcome.IssueType.NotFound, issue.Code);
        Assert.Equal(["Bundle.entry[1].resource.subject.reference"], issue.Expression);
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenAbsoluteReferences_WhenTransaction_ThenOursCheckedAndMadeRelativeOthersKept()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        var team = new CareTeam
        {
            Subject = new ResourceReference($"http://localhost/fhir/Patient/{patient.Id}"),
            Participant = [new CareTeam.ParticipantComponent { Member = new ResourceReference("https://annuaire.example/fhir/Practitioner/rpps-10003456789") }],
        };

        var response = (await client.TransactionAsync(Transaction(Entry(Bundle.HTTPVerb.POST, "CareTeam", team, Urn()))))!;
        var missing = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Subject = new ResourceReference("http://localhost/fhir/Patient/nobody-here") }, Urn()))));

        var stored = (await client.ReadAsync<CareTeam>(response.Entry[0].Response.Location.Split("/_history")[0]))!;
        Assert.Equal($"Patient/{patient.Id}", stored.Subject.Reference);
        Assert.Equal("https://annuaire.example/fhir/Practitioner/rpps-10003456789", stored.Participant[0].Member.Reference);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
    }

    [Fact]
    public async Task GivenReferenceToADeletedResource_WhenTransaction_Then400()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        await client.DeleteAsync($"Patient/{patient.Id}");

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "CareTeam", new CareTeam { Subject = new ResourceReference($"Patient/{patient.Id}") }, Urn()))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
    }

    [Fact]
    public async Task GivenCriteriaNamingEachOthersUrnInACircle_WhenTransaction_Then400()
    {
        var client = gateway.Fhir();
        var marker = TestData.Unique("circle");
        var (a, b) = (Urn(), Urn());
        Bundle.EntryComponent Conditional(string self, string other) => new()
        {
            FullUrl = self,
            Resource = new CareTeam { Identifier = [new Identifier("urn:test", marker)] },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "CareTeam", IfNoneExist = "_id=" + other },
        };

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(Conditional(a, b), Conditional(b, a))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Contains("in a circle", error.Outcome!.Issue[0].Diagnostics);
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenDuplicateFullUrls_WhenTransaction_Then400()
    {
        var client = gateway.Fhir();
        var urn = Urn();

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(), urn), Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(), urn))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Equal(["Bundle.entry[1].fullUrl"], error.Outcome!.Issue[0].Expression);
    }

    [Fact]
    public async Task GivenTenThousandEntries_WhenTransaction_Then413NamingTheLimitAndNothingStored()
    {
        using var factory = GatewayFactory.With(s => s.PostConfigure<FhirServerOptions>(o => o.MaxRequestBodyBytes = 16_000_000));
        var marker = TestData.Unique("10k");
        var entry = $"{{\"request\":{{\"method\":\"POST\",\"url\":\"Basic\"}},\"resource\":{{\"resourceType\":\"Basic\",\"code\":{{\"text\":\"{marker}\"}}}}}}";
        var json = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[")
            .AppendJoin(',', Enumerable.Repeat(entry, 10_000)).Append("]}").ToString();

        var response = await PostAsync(json, factory.CreateClient());

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.RequestEntityTooLarge, OperationOutcome.IssueType.TooCostly, "Bundle.entry");
        Assert.Contains("10000 entries", outcome.Issue[0].Diagnostics);
        Assert.Contains("at most 1000", outcome.Issue[0].Diagnostics);
        Assert.Contains(BundleOptions.Section + ":MaxEntries", outcome.Issue[0].Diagnostics);
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenConfiguredEntryLimit_WhenBatchExceedsIt_Then413()
    {
        using var factory = GatewayFactory.With(s => s.PostConfigure<BundleOptions>(o => o.MaxEntries = 2));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());
        var batch = new Bundle { Type = Bundle.BundleType.Batch, Entry = Enumerable.Range(0, 3).Select(_ => Entry(Bundle.HTTPVerb.GET, "Patient/x")).ToList() };

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(batch));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, error.Status);
        Assert.Contains("at most 2", error.Outcome!.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task GivenBodyOverTheSizeLimit_WhenTransaction_Then413NamingTheLimit()
    {
        var padding = new string('x', GatewayFactory.MaxBodyBytes);
        var json = $"{{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{{\"request\":{{\"method\":\"POST\",\"url\":\"Basic\"}},\"resource\":{{\"resourceType\":\"Basic\",\"code\":{{\"text\":\"{padding}\"}}}}}}]}}";

        var response = await PostAsync(json);

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.RequestEntityTooLarge, OperationOutcome.IssueType.TooCostly);
        Assert.Contains($"limit of {GatewayFactory.MaxBodyBytes} bytes", outcome.Issue[0].Diagnostics);
    }

    [Theory]
    [InlineData("document")]
    [InlineData("collection")]
    public async Task GivenOtherBundleType_WhenPostingToBase_Then400(string type)
    {
        var response = await PostAsync($"{{\"resourceType\":\"Bundle\",\"type\":\"{type}\"}}");

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "Bundle.type");
    }

    [Fact]
    public async Task GivenNotABundle_WhenPostingToBase_Then400()
    {
        var response = await PostAsync(FhirJsonSerializer.Default.SerializeToString(TestData.Patient()));

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid);
    }
}
