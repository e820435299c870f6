using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// A <c>patient/</c> token (claim <c>patient</c> = A) sees only A's compartment, whatever search feature it
/// uses: no resource of patient B leaks through reads, searches, _include, _revinclude, _has, chaining,
/// compartment search, $everything, history or batch entries, and it cannot write outside A's compartment.
/// Resources outside the compartment answer 404, as if they did not exist (ADR 0011).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PatientCompartmentTests(GatewayFactory gateway) : IAsyncLifetime
{
    private readonly string _code = TestData.Unique("cmp-code");
    private Patient _a = null!;
    private Patient _b = null!;
    private Observation _obsA = null!;
    private Observation _obsB = null!;

    public async Task InitializeAsync()
    {
        var admin = gateway.Fhir();
        _a = (await admin.CreateAsync(TestData.Patient(family: "Alpha-e2e")))!;
        _b = (await admin.CreateAsync(TestData.Patient(family: "Bravo-e2e")))!;
        _obsA = (await admin.CreateAsync(Observation(_a.Id)))!;
        _obsB = (await admin.CreateAsync(Observation(_b.Id)))!;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Observation Observation(string patientId) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://test.example.org/code", _code),
        Subject = new ResourceReference($"Patient/{patientId}"),
    };

    private HttpClient PatientA(string scope = "patient/*.rs") => gateway.ClientWith(TestTokens.Token(scope, patient: _a.Id));

    private static async Task<List<string>> Ids(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = (Bundle)new FhirJsonDeserializer().DeserializeResource(await response.Content.ReadAsStringAsync());
        return [.. bundle.Entry.Where(e => e.Resource is not OperationOutcome).Select(e => $"{e.Resource.TypeName}/{e.Resource.Id}").Order()];
    }

    [Fact]
    public async Task GivenPatientToken_WhenReadingOwnAndOther_ThenOtherIs404()
    {
        using var http = PatientA();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Patient/{_a.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/Observation/{_obsA.Id}")).StatusCode);
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Patient/{_b.Id}"), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Observation/{_obsB.Id}"), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Observation/{_obsB.Id}/_history/1"), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Observation/{_obsB.Id}/_history"), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task GivenPatientToken_WhenSearching_ThenOnlyOwnCompartment()
    {
        using var http = PatientA();
        string[] own = [$"Observation/{_obsA.Id}"];

        Assert.Equal(own, await Ids(await http.GetAsync($"/fhir/Observation?code={_code}")));
        Assert.Equal(own, await Ids(await http.GetAsync($"/fhir?_type=Observation&code={_code}")));
        Assert.Equal(own, await Ids(await http.PostAsync("/fhir/Observation/_search", new FormUrlEncodedContent([new("code", _code)]))));
        Assert.Equal([$"Patient/{_a.Id}"], await Ids(await http.GetAsync($"/fhir/Patient?_id={_a.Id},{_b.Id}")));
    }

    [Fact]
    public async Task GivenPatientToken_WhenIncluding_ThenNoOtherPatientResourceIncluded()
    {
        using var http = PatientA();

        Assert.Equal(
            [$"Observation/{_obsA.Id}", $"Patient/{_a.Id}"],
            await Ids(await http.GetAsync($"/fhir/Observation?code={_code}&_include=Observation:subject")));
        Assert.Equal(
            [$"Observation/{_obsA.Id}", $"Patient/{_a.Id}"],
            await Ids(await http.GetAsync($"/fhir/Patient?_id={_a.Id},{_b.Id}&_revinclude=Observation:subject")));
        Assert.Equal(
            [$"Observation/{_obsA.Id}", $"Patient/{_a.Id}"],
            await Ids(await http.GetAsync($"/fhir/Observation?code={_code}&_include:iterate=Observation:subject&_revinclude:iterate=Observation:subject")));
    }

    [Fact]
    public async Task GivenPatientToken_WhenHasOrChaining_ThenNothingOfTheOtherPatient()
    {
        using var http = PatientA();

        Assert.Equal([$"Patient/{_a.Id}"], await Ids(await http.GetAsync($"/fhir/Patient?_has:Observation:subject:code={_code}")));
        Assert.Empty(await Ids(await http.GetAsync($"/fhir/Observation?subject.identifier={TestData.Ipp}|{TestData.IppOf(_b)}")));
        Assert.Empty(await Ids(await http.GetAsync($"/fhir/Observation?subject:Patient.family=Bravo-e2e&code={_code}")));
        Assert.Equal([$"Observation/{_obsA.Id}"], await Ids(await http.GetAsync($"/fhir/Observation?subject.identifier={TestData.Ipp}|{TestData.IppOf(_a)}")));
    }

    [Fact]
    public async Task GivenPatientToken_WhenCompartmentSearchOrEverythingOfOther_ThenNothing()
    {
        using var http = PatientA();

        Assert.Empty(await Ids(await http.GetAsync($"/fhir/Patient/{_b.Id}/Observation")));
        Assert.Equal([$"Observation/{_obsA.Id}"], await Ids(await http.GetAsync($"/fhir/Patient/{_a.Id}/Observation?code={_code}")));
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Patient/{_b.Id}/$everything"), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
        var everything = await Ids(await http.GetAsync($"/fhir/Patient/{_a.Id}/$everything?_count=1000"));
        Assert.Contains($"Observation/{_obsA.Id}", everything);
        Assert.DoesNotContain($"Observation/{_obsB.Id}", everything);
        Assert.DoesNotContain($"Patient/{_b.Id}", everything);
    }

    [Fact]
    public async Task GivenPatientToken_WhenHistory_ThenOtherPatientVersionsLeftOut()
    {
        using var http = PatientA();

        var typeHistory = await Ids(await http.GetAsync("/fhir/Observation/_history?_count=1000"));
        var systemHistory = await Ids(await http.GetAsync("/fhir/_history?_count=1000"));

        Assert.Contains($"Observation/{_obsA.Id}", typeHistory);
        Assert.DoesNotContain($"Observation/{_obsB.Id}", typeHistory);
        Assert.DoesNotContain($"Observation/{_obsB.Id}", systemHistory);
        Assert.DoesNotContain($"Patient/{_b.Id}", systemHistory);
        Assert.All(systemHistory, r => Assert.False(r.StartsWith("AuditEvent/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GivenPatientToken_WhenBatchEntriesReachOtherPatient_ThenEntriesAnswer404OrNothing()
    {
        var client = gateway.FhirWith(TestTokens.Token("patient/*.rs", patient: _a.Id));
        var batch = new Bundle { Type = Bundle.BundleType.Batch };
        batch.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Observation/{_obsB.Id}" } });
        batch.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Observation?code={_code}" } });
        batch.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Observation/{_obsA.Id}" } });

        var response = (await client.TransactionAsync(batch))!;

        Assert.StartsWith("404", response.Entry[0].Response.Status);
        var searchset = Assert.IsType<Bundle>(response.Entry[1].Resource);
        Assert.Equal([_obsA.Id], searchset.Entry.Select(e => e.Resource.Id));
        Assert.StartsWith("200", response.Entry[2].Response.Status);
    }

    [Fact]
    public async Task GivenPatientWriteToken_WhenWritingOutsideCompartment_Then403AndNothingChanged()
    {
        var client = gateway.FhirWith(TestTokens.Token("patient/*.cruds", patient: _a.Id));

        var created = await client.CreateAsync(Observation(_a.Id));
        var foreign = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(Observation(_b.Id)));
        var takeOver = (Observation)_obsB.DeepCopy();
        takeOver.Subject = new ResourceReference($"Patient/{_a.Id}");
        var update = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(takeOver));
        var moveAway = (Observation)created!.DeepCopy();
        moveAway.Subject = new ResourceReference($"Patient/{_b.Id}");
        var move = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(moveAway));

        Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, foreign.Outcome!.Issue[0].Code);
        Assert.Equal(HttpStatusCode.Forbidden, update.Status);
        Assert.Equal(HttpStatusCode.Forbidden, move.Status);
        var stillB = (await gateway.Fhir().ReadAsync<Observation>($"Observation/{_obsB.Id}"))!;
        Assert.Equal($"Patient/{_b.Id}", stillB.Subject.Reference);
        Assert.Equal("1", stillB.Meta.VersionId);
    }

    [Fact]
    public async Task GivenPatientWriteToken_WhenDeletingOtherPatientResource_ThenItStays()
    {
        using var http = PatientA("patient/*.cruds");

        var response = await http.DeleteAsync($"/fhir/Observation/{_obsB.Id}");

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NoContent);
        Assert.NotNull(await gateway.Fhir().ReadAsync<Observation>($"Observation/{_obsB.Id}"));
    }

    [Fact]
    public async Task GivenPatientToken_WhenTypeOutsideAnyCompartment_Then403()
    {
        using var http = PatientA();

        await Http.AssertOutcome(await http.GetAsync("/fhir/Practitioner"), HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Observation?code={_code}&_include=Observation:performer:Practitioner"),
            HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
    }

    [Fact]
    public async Task GivenPatientScopeWithoutPatientClaim_Then403()
    {
        using var http = gateway.ClientWith(TestTokens.Token("patient/*.rs"));

        await Http.AssertOutcome(await http.GetAsync($"/fhir/Observation/{_obsA.Id}"), HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
    }
}
