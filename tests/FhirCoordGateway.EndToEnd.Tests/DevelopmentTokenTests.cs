using System.Net;
using FhirCoordGateway.Api.Security;
using Microsoft.Extensions.Configuration;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The development mode: the <c>token</c> command makes the key on first use and mints tokens the gateway accepts.</summary>
public sealed class DevelopmentTokenTests
{
    [Fact]
    public async Task GivenTokenCommand_ThenKeyMadeOnFirstUseAndTheTokenIsAcceptedByAGatewayTrustingTheDevIssuer()
    {
        var keyPath = Path.Combine(Path.GetTempPath(), "fhircoord-dev-" + Guid.NewGuid().ToString("N"), "dev-jwks.json");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Security:DevelopmentIssuer:KeyPath"] = keyPath }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = DevelopmentTokenCommand.Run(configuration, ["--scope", "patient/*.rs", "--patient", "p-7f3a21", "--role", "patient"], output, error);

        Assert.Equal(0, exit);
        Assert.True(File.Exists(keyPath));
        var token = output.ToString().Trim();
        using var factory = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["Security:DevelopmentIssuer:Enabled"] = "true",
            ["Security:DevelopmentIssuer:KeyPath"] = keyPath,
        });
        using var http = factory.ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/fhir/Observation?_count=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/fhir/Practitioner?_count=1")).StatusCode);
    }

    [Fact]
    public void GivenNoScope_ThenUsageAndExitCode2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = DevelopmentTokenCommand.Run(new ConfigurationBuilder().Build(), ["--patient", "p1"], output, error);

        Assert.Equal(2, exit);
        Assert.Contains("usage: token --scope", error.ToString());
        Assert.Empty(output.ToString());
    }
}
