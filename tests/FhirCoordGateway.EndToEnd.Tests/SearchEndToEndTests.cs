using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Search through the HTTP API with FhirClient: GET and POST _search, paging links, totals, _summary, _elements,
/// includes, strict handling, malformed values, system, compartment and $everything, conditional create on any
/// search, and the CapabilityStatement. https://hl7.org/fhir/R4/http.html#search
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SearchEndToEndTests(GatewayFactory gateway)
{
    private static Patient NewPatient(string family, string? birthDate = "1975-03-14")
    {
        var p = TestData.Patient(family: family);
        p.BirthDate = birthDate;
        return p;
    }

    private static CarePlan PlanFor(string patientId, RequestStatus status = RequestStatus.Active) => new()
    {
        Status = status, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patientId),
    };

    [Fact]
    public async Task GivenMatches_WhenSearchingAndFollowingNextLinks_ThenEveryPageOnceAndTheTotal()
    {
        var client = gateway.Fhir();
        var family = TestData.Unique("Pagé");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await client.CreateAsync(NewPatient(family)))!.Id);
        }

        var page = (await client.SearchAsync<Patient>([$"family={family.ToUpperInvariant().Replace("É", "E")}", "_count=2", "_total=accurate"]))!;
        var seen = new List<string>();
        Assert.Equal(5, page.Total);
        while (page is not null)
        {
            seen.AddRange(page.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource!.Id));
            page = await client.ContinueAsync(page);
        }

        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task GivenFormBody_WhenPostingSearch_ThenSameAsGet()
    {
        var client = gateway.Fhir();
        var family = TestData.Unique("Post");
        var id = (await client.CreateAsync(NewPatient(family)))!.Id;

        var found = (await client.SearchUsingPostAsync<Patient>(new SearchParams().Where($"family={family}")))!;

        Assert.Equal([id], found.Entry.Select(e => e.Resource!.Id));
    }

    [Fact]
    public async Task GivenUnknownParameter_WhenSearching_ThenIgnoredAndLeftOutOfSelfLinkUnlessStrict()
    {
        var http = gateway.CreateClient();
        var family = TestData.Unique("Lax");
        var client = gateway.Fhir();
        await client.CreateAsync(NewPatient(family));

        var lax = (await gateway.Fhir().SearchAsync<Patient>([$"family={family}", "frobnicate=1"]))!;
        Assert.Single(lax.Entry, e => e.Search?.Mode == Bundle.SearchEntryMode.Match);
        Assert.DoesNotContain("frobnicate", lax.SelfLink!.ToString());
        Assert.Contains("family=", lax.SelfLink!.ToString());

        var strict = await http.SendAsync(Http.Request(HttpMethod.Get, $"/fhir/Patient?family={family}&frobnicate=1", null, ("Prefer", "handling=strict")));
        var outcome = await Http.ReadOutcome(strict);
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Equal(["frobnicate"], outcome.Issue.Single().Expression);
    }

    [Theory]
    [InlineData("birthdate=2024-13-45", "birthdate")]
    [InlineData("birthdate=xx2024", "birthdate")]
    [InlineData("_count=abc", "_count")]
    [InlineData("_sort=frobnicate", "_sort")]
    [InlineData("_total=maybe", "_total")]
    [InlineData("family:sounds-like=x", "family:sounds-like")]
    [InlineData("_page=not-a-token", "_page")]
    public async Task GivenMalformedValue_WhenSearching_Then400NamingTheParameter(string query, string parameter)
    {
        var response = await gateway.CreateClient().GetAsync("/fhir/Patient?" + query);

        var outcome = await Http.ReadOutcome(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(OperationOutcome.IssueType.Invalid, outcome.Issue.Single().Code);
        Assert.Equal([parameter], outcome.Issue.Single().Expression);
    }

    [Fact]
    public async Task GivenPatientWithPlans_WhenIncludingSummarizingAndCounting_ThenEntriesHaveTheirModes()
    {
        var client = gateway.Fhir();
        var family = TestData.Unique("Inc");
        var patient = (await client.CreateAsync(NewPatient(family)))!;
        var plan = (await client.CreateAsync(PlanFor(patient.Id)))!;

        var rev = (await client.SearchAsync<Patient>([$"family={family}", "_revinclude=CarePlan:subject"]))!;
        Assert.Equal([(Bundle.SearchEntryMode.Match, patient.Id), (Bundle.SearchEntryMode.Include, plan.Id)], rev.Entry.Select(e => (e.Search!.Mode!.Value, e.Resource!.Id)));

        var inc = (await client.SearchAsync<CarePlan>([$"subject:Patient.family={family}", "_include=CarePlan:subject"]))!;
        Assert.Equal([plan.Id, patient.Id], inc.Entry.Select(e => e.Resource!.Id));

        var count = (await client.SearchAsync<Patient>([$"family={family}", "_summary=count"]))!;
        Assert.Equal(1, count.Total);
        Assert.Empty(count.Entry);

        var elements = (await client.SearchAsync<Patient>([$"family={family}", "_elements=birthDate"]))!;
        var shaped = (Patient)elements.Entry.Single().Resource!;
        Assert.Equal("1975-03-14", shaped.BirthDate);
        Assert.Empty(shaped.Name);
        Assert.Contains(shaped.Meta.Tag, t => t.Code == "SUBSETTED");

        var summary = (await client.SearchAsync<Patient>([$"family={family}", "_summary=true"]))!;
        Assert.NotEmpty(((Patient)summary.Entry.Single().Resource!).Name);
    }

    [Fact]
    public async Task GivenPatientCompartment_WhenSearchingItAndEverything_ThenOnlyThatPatientsResources()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(NewPatient(TestData.Unique("Comp"))))!;
        var other = (await client.CreateAsync(NewPatient(TestData.Unique("Other"))))!;
        var active = (await client.CreateAsync(PlanFor(patient.Id)))!;
        var draft = (await client.CreateAsync(PlanFor(patient.Id, RequestStatus.Draft)))!;
        await client.CreateAsync(PlanFor(other.Id));

        var http = gateway.CreateClient();
        var compartment = await ReadBundle(http, $"/fhir/Patient/{patient.Id}/CarePlan?status=active");
        Assert.Equal([active.Id], compartment.Entry.Select(e => e.Resource!.Id));

        var everything = await ReadBundle(http, $"/fhir/Patient/{patient.Id}/$everything?_count=2");
        var ids = everything.Entry.Select(e => e.Resource!.Id).ToList();
        Assert.Equal(2, ids.Count);
        Assert.NotNull(everything.NextLink);
        var next = await ReadBundle(http, everything.NextLink!.PathAndQuery);
        Assert.Equal([patient.Id, active.Id, draft.Id], ids.Concat(next.Entry.Select(e => e.Resource!.Id)));

        var plansOnly = await ReadBundle(http, $"/fhir/Patient/{patient.Id}/$everything?_type=CarePlan");
        Assert.Equal([active.Id, draft.Id], plansOnly.Entry.Select(e => e.Resource!.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/fhir/Patient/no-such-patient-e2e/$everything")).StatusCode);
    }

    [Fact]
    public async Task GivenSeveralTypes_WhenSearchingTheSystem_ThenEachTypeOfUnderType()
    {
        var client = gateway.Fhir();
        var tag = TestData.Unique("sys");
        var patient = NewPatient(TestData.Unique("Sys"));
        patient.Meta = new Meta { Tag = [new Coding("http://test.example.org/tag", tag)] };
        var p = (await client.CreateAsync(patient))!;
        var plan = PlanFor(p.Id);
        plan.Meta = new Meta { Tag = [new Coding("http://test.example.org/tag", tag)] };
        var c = (await client.CreateAsync(plan))!;

        var both = await ReadBundle(gateway.CreateClient(), $"/fhir?_type=Patient,CarePlan&_tag=http://test.example.org/tag|{tag}");
        Assert.Equal([p.Id, c.Id], both.Entry.Select(e => e.Resource!.Id));
        var all = await ReadBundle(gateway.CreateClient(), $"/fhir?_tag=http://test.example.org/tag|{tag}");
        Assert.Equal(2, all.Entry.Count);
    }

    [Fact]
    public async Task GivenAnySearch_WhenCreatingConditionally_ThenItMatchesOnEveryParameterType()
    {
        var client = gateway.Fhir();
        var family = TestData.Unique("Cond");
        var first = (await client.CreateAsync(NewPatient(family, "1980-05-06")))!;

        var again = (await client.ConditionalCreateAsync(NewPatient(family, "1980-05-06"), new SearchParams().Where($"family:exact={family}").Where("birthdate=1980-05")))!;
        Assert.Equal(first.Id, again.Id);
        var distinct = (await client.ConditionalCreateAsync(NewPatient(family, "1981-01-01"), new SearchParams().Where($"family={family}").Where("birthdate=1981")))!;
        Assert.NotEqual(first.Id, distinct.Id);
    }

    [Fact]
    public async Task GivenCapabilityStatement_WhenReading_ThenSearchParametersWithTypeAndDocumentation()
    {
        var statement = (await gateway.Fhir().CapabilityStatementAsync())!;
        var patient = statement.Rest.Single().Resource.Single(r => r.Type == "Patient");

        var family = patient.SearchParam.Single(p => p.Name == "family");
        Assert.Equal(SearchParamType.String, family.Type);
        Assert.False(string.IsNullOrEmpty(family.Documentation));
        Assert.Contains(patient.SearchParam, p => p.Name == "ins" && p.Type == SearchParamType.Token);
        Assert.Contains(patient.SearchParam, p => p.Name == "_lastUpdated");
        Assert.Contains("CarePlan:subject", patient.SearchRevInclude);
        Assert.Contains("_text and _content are not supported", statement.Rest.Single().Documentation);
    }

    [Fact]
    public async Task GivenIndexRowsLost_WhenReindexing_ThenTheJobReportsProgressAndSearchFindsTheResourceAgain()
    {
        var client = gateway.Fhir();
        var family = TestData.Unique("Reidx");
        var id = (await client.CreateAsync(NewPatient(family)))!.Id;
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(GatewayFactory.ConnectionString))
        await using (var cmd = dataSource.CreateCommand("DELETE FROM sp_string WHERE res_id = (SELECT res_id FROM resource WHERE res_type = 'Patient' AND fhir_id = $1)"))
        {
            cmd.Parameters.AddWithValue(id);
            await cmd.ExecuteNonQueryAsync();
        }

        Assert.Empty((await client.SearchAsync<Patient>([$"family={family}"]))!.Entry);

        var http = gateway.CreateClient();
        var status = await Reindex.RunAsync(http, "Patient");
        Assert.True(status.GetSingleValue<Integer>("processed")!.Value >= 1);
        Assert.Equal([id], (await client.SearchAsync<Patient>([$"family={family}"]))!.Entry.Select(e => e.Resource!.Id));
    }

    private static async Task<Bundle> ReadBundle(HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (Bundle)new FhirJsonDeserializer().DeserializeResource(body);
    }
}
