using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// SearchParameters written through the REST API: a valid one joins the running catalog once committed (new
/// writes are indexed by it, searches accept it, the outcome points at <c>$reindex</c> for older resources), and
/// one the index cannot run is refused with 422 before it is stored.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SearchParameterEndToEndTests(GatewayFactory gateway)
{
    private static Patient WithNickname(string nickname)
    {
        var patient = TestData.Patient();
        patient.Name.Add(new HumanName { Use = HumanName.NameUse.Nickname, Given = [nickname] });
        return patient;
    }

    private static SearchParameter Nickname(string code) => new()
    {
        Url = $"https://fhircoord.example/fhir/SearchParameter/{code}", Name = code, Status = PublicationStatus.Active,
        Description = "Nickname of a patient (e2e)", Code = code, Base = [ResourceType.Patient],
        Type = SearchParamType.String, Expression = "Patient.name.where(use = 'nickname').given",
    };

    [Fact]
    public async Task GivenSearchParameterCreated_WhenSearchingByIt_ThenNewResourcesAreFoundAndOlderOnesAfterReindex()
    {
        var client = gateway.Fhir();
        var code = TestData.Unique("nick");
        var nickname = TestData.Unique("Zorglub").Replace("-", "");
        var older = (await client.CreateAsync(WithNickname(nickname)))!.Id;

        var created = (await client.CreateAsync(Nickname(code)))!;
        var newer = (await client.CreateAsync(WithNickname(nickname)))!.Id;

        var strict = new SearchParams().Add(code, nickname.ToLowerInvariant());
        Assert.Equal([newer], (await client.SearchAsync<Patient>(strict))!.Entry.Select(e => e.Resource!.Id));

        // The write's outcome tells the client that older resources need $reindex.
        var http = gateway.CreateClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/fhir/SearchParameter/{created.Id}")
        {
            Content = new StringContent(new FhirJsonSerializer().SerializeToString(created), Encoding.UTF8, "application/fhir+json"),
        };
        put.Headers.Add("Prefer", "return=OperationOutcome");
        using var updated = await http.SendAsync(put);
        var outcome = (OperationOutcome)new FhirJsonDeserializer().DeserializeResource(await updated.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Contains(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Information && i.Diagnostics.Contains("$reindex?resourceType=Patient"));

        await Reindex.RunAsync(http, "Patient");
        Assert.Equal([older, newer], (await client.SearchAsync<Patient>(strict))!.Entry.Select(e => e.Resource!.Id));

        // A gateway started afterwards loads the stored SearchParameter at start-up.
        using var restarted = GatewayFactory.WithSettings(new Dictionary<string, string>());
        Assert.Equal([older, newer], (await restarted.Fhir().SearchAsync<Patient>(strict))!.Entry.Select(e => e.Resource!.Id));
    }

    [Theory]
    [InlineData("expression", "Patient.name.where(", "SearchParameter.expression")]
    [InlineData("expression", "Patient.name.nosuchfunction()", "SearchParameter.expression")]
    [InlineData("base", "Resource", "SearchParameter.base[0]")]
    [InlineData("type", "composite", "SearchParameter.type")]
    [InlineData("type", "date", "SearchParameter.type")]
    [InlineData("code", "has space", "SearchParameter.code")]
    public async Task GivenSearchParameterTheIndexCannotRun_WhenCreating_Then422AndNothingStored(string element, string value, string location)
    {
        var (code, response) = await PostWithAsync(element, value);

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.Processing);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains(location));
        await AssertNotStoredAsync(code);
    }

    /// <summary>A base that is no resource type at all is not valid FHIR: the parser answers 400 before any rule runs.</summary>
    [Fact]
    public async Task GivenUnknownBaseType_WhenCreating_Then400AndNothingStored()
    {
        var (code, response) = await PostWithAsync("base", "NotAType");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = await Http.ReadOutcome(response);
        Assert.True(outcome.Issue.Any(i => i.Expression.Any(e => e.Contains("base"))), new FhirJsonSerializer().SerializeToString(outcome));
        await AssertNotStoredAsync(code);
    }

    private async Task<(string Code, HttpResponseMessage Response)> PostWithAsync(string element, string value)
    {
        var code = TestData.Unique("bad");
        var parameter = Nickname(code);
        parameter.Expression = "Patient.name";
        var json = System.Text.Json.Nodes.JsonNode.Parse(new FhirJsonSerializer().SerializeToString(parameter))!;
        json[element] = element == "base" ? new System.Text.Json.Nodes.JsonArray(value) : value;

        return (code, await gateway.CreateClient().PostAsync("/fhir/SearchParameter", new StringContent(json.ToJsonString(), Encoding.UTF8, "application/fhir+json")));
    }

    private async Task AssertNotStoredAsync(string code)
    {
        var stored = await gateway.Fhir().SearchAsync<SearchParameter>([$"url=https://fhircoord.example/fhir/SearchParameter/{code}"]);
        Assert.Empty(stored!.Entry);
    }
}

/// <summary>Runs <c>$reindex</c> for one type and polls its status until it completes (with the administration scope it takes).</summary>
internal static class Reindex
{
    private static readonly System.Net.Http.Headers.AuthenticationHeaderValue Admin = TestTokens.Bearer(TestTokens.Token("system/*.cruds system/admin"));

    public static async Task<Parameters> RunAsync(HttpClient http, string type)
    {
        var started = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/fhir/$reindex?resourceType={type}") { Headers = { Authorization = Admin } });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Content.Headers.ContentLocation ?? new Uri(started.Headers.GetValues("Content-Location").Single());
        var deadline = DateTime.UtcNow.AddSeconds(120);
        Parameters status;
        do
        {
            await Task.Delay(200);
            using var poll = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, location.PathAndQuery) { Headers = { Authorization = Admin } });
            status = (Parameters)new FhirJsonDeserializer().DeserializeResource(await poll.Content.ReadAsStringAsync());
        }
        while (status.GetSingleValue<Code>("status")!.Value != "completed" && DateTime.UtcNow < deadline);

        Assert.Equal("completed", status.GetSingleValue<Code>("status")!.Value);
        return status;
    }
}
