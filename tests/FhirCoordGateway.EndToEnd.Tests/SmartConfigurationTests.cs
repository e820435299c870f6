using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The SMART configuration and the CapabilityStatement describe how to get a token, without one.</summary>
public sealed class SmartConfigurationTests
{
    private static GatewayFactory Gateway() => GatewayFactory.WithSettings(new Dictionary<string, string>
    {
        ["Security:Smart:TokenEndpoint"] = "https://auth.test.fhircoord.example/token",
        ["Security:Smart:AuthorizationEndpoint"] = "https://auth.test.fhircoord.example/authorize",
    });

    [Fact]
    public async Task GivenNoToken_WhenReadingSmartConfiguration_ThenEndpointsScopesAndCapabilities()
    {
        using var factory = Gateway();
        using var http = factory.ClientWith(null);

        var response = await http.GetAsync("/fhir/.well-known/smart-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("https://auth.test.fhircoord.example/token", root.GetProperty("token_endpoint").GetString());
        Assert.Equal("https://auth.test.fhircoord.example/authorize", root.GetProperty("authorization_endpoint").GetString());
        var capabilities = root.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("permission-v2", capabilities);
        Assert.Contains("permission-patient", capabilities);
        Assert.Contains("system/AuditEvent.rs", root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task GivenNoToken_WhenReadingMetadata_ThenRestSecurityIsSmartWithOAuthUris()
    {
        using var factory = Gateway();
        var client = factory.FhirWith(null);

        var statement = (await client.CapabilityStatementAsync())!;

        var security = statement.Rest[0].Security;
        Assert.Equal("SMART-on-FHIR", security.Service.Single().Coding.Single().Code);
        var uris = security.Extension.Single(e => e.Url == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        Assert.Equal("https://auth.test.fhircoord.example/token", ((FhirUri)uris.Extension.Single(e => e.Url == "token").Value).Value);
        Assert.Equal("https://auth.test.fhircoord.example/authorize", ((FhirUri)uris.Extension.Single(e => e.Url == "authorize").Value).Value);
    }
}
