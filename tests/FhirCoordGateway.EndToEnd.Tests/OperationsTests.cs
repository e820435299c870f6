using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>CapabilityStatement, formats, Prefer, health and correlation ids.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OperationsTests(GatewayFactory gateway)
{
    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenMetadata_ThenCapabilityStatementDescribesWhatIsImplemented(ResourceFormat format)
    {
        var statement = (await gateway.Fhir(format).CapabilityStatementAsync())!;

        Assert.Equal(FHIRVersion.N4_0_1, statement.FhirVersion);
        Assert.Equal(["application/fhir+json", "application/fhir+xml"], statement.Format);
        var rest = statement.Rest.Single();
        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.HistorySystem);
        var patient = rest.Resource.Single(r => r.Type == "Patient");
        Assert.Equal(CapabilityStatement.ResourceVersionPolicy.VersionedUpdate, patient.Versioning);
        Assert.True(patient.ConditionalCreate);
        Assert.True(patient.ConditionalUpdate);
        Assert.True(patient.UpdateCreate);
        Assert.Equal(CapabilityStatement.ConditionalDeleteStatus.Single, patient.ConditionalDelete);
        Assert.Contains(patient.Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Vread);
        Assert.Contains(patient.SearchParam, p => p.Name == "identifier" && p.Type == SearchParamType.Token);
        Assert.Contains(rest.Resource, r => r.Type == "CarePlan");
        Assert.DoesNotContain(rest.Resource, r => r.Type is "Resource" or "DomainResource");
    }

    [Theory]
    [InlineData("_format=xml", "application/fhir+xml")]
    [InlineData("_format=application/fhir%2Bjson", "application/fhir+json")]
    [InlineData("_format=json&_pretty=true", "application/fhir+json")]
    public async Task GivenFormatParameter_ThenItOverridesAccept(string query, string mediaType)
    {
        using var http = gateway.CreateClient();
        var request = Http.Request(HttpMethod.Get, $"/fhir/metadata?{query}", null, ("Accept", "application/fhir+json;q=0.5, application/fhir+xml;q=0.9"));

        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(query.Contains("_pretty=true"), body.Contains("\n"));
    }

    [Fact]
    public async Task GivenAcceptQualities_ThenBestSupportedFormatWins()
    {
        using var http = gateway.CreateClient();
        var request = Http.Request(HttpMethod.Get, "/fhir/metadata", null, ("Accept", "text/html,application/xml;q=0.9,*/*;q=0.8"));
        var response = await http.SendAsync(request);
        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("return=minimal", "")]
    [InlineData("return=representation", "Patient")]
    [InlineData("return=OperationOutcome", "OperationOutcome")]
    public async Task GivenPreferReturn_WhenCreating_ThenBodyFollowsIt(string prefer, string expectedType)
    {
        using var http = gateway.CreateClient();
        var body = Hl7.Fhir.Serialization.FhirJsonSerializer.Default.SerializeToString(TestData.Patient());
        var response = await http.SendAsync(Http.Request(HttpMethod.Post, "/fhir/Patient", Http.Json(body), ("Prefer", prefer)));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(response.Headers.Location);
        Assert.Equal("W/\"1\"", response.Headers.ETag!.ToString());
        if (expectedType.Length == 0)
        {
            Assert.Empty(text);
        }
        else
        {
            Assert.Contains($"\"resourceType\":\"{expectedType}\"", text);
        }
    }

    [Fact]
    public async Task GivenCurrentETag_WhenReadingWithIfNoneMatch_Then304()
    {
        var created = (await gateway.Fhir().CreateAsync(TestData.Patient()))!;
        using var http = gateway.CreateClient();

        var response = await http.SendAsync(Http.Request(HttpMethod.Get, $"/fhir/Patient/{created.Id}", null, ("If-None-Match", "W/\"1\"")));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task GivenRunningGatewayWithDatabase_ThenHealthEndpointsAnswerHealthy(string url)
    {
        using var http = gateway.CreateClient();
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GivenRequestId_ThenItIsEchoed_AndOtherwiseOneIsMade()
    {
        using var http = gateway.CreateClient();
        var given = await http.SendAsync(Http.Request(HttpMethod.Get, "/fhir/metadata", null, ("X-Request-Id", "req-7f3a21")));
        var made = await http.GetAsync("/fhir/metadata");
        var unsafeOne = await http.SendAsync(Http.Request(HttpMethod.Get, "/fhir/metadata", null, ("X-Request-Id", "<script>")));

        Assert.Equal("req-7f3a21", given.Headers.GetValues("X-Request-Id").Single());
        Assert.Matches("^[0-9a-f]{32}$", made.Headers.GetValues("X-Request-Id").Single());
        Assert.NotEqual("<script>", unsafeOne.Headers.GetValues("X-Request-Id").Single());
    }
}
