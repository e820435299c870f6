using System.Net;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Rate limiting per client (429 + Retry-After) and security headers (the log scan: <see cref="LogScanTests"/>).</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task GivenClientOverItsRate_Then429WithRetryAfter_AndOtherClientsStillServed()
    {
        using var factory = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["Security:RateLimit:PermitsPerSecond"] = "1",
            ["Security:RateLimit:Burst"] = "2",
        });
        using var greedy = factory.ClientWith(TestTokens.Token("system/*.rs", clientId: "greedy-7f3a21"));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await greedy.GetAsync("/fhir/Patient?_count=1"));
        }

        var limited = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var outcome = await Http.AssertOutcome(limited, HttpStatusCode.TooManyRequests, OperationOutcome.IssueType.Throttled);
        Assert.StartsWith("Too many requests", outcome.Issue[0].Diagnostics);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        using var other = factory.ClientWith(TestTokens.Token("system/*.rs", clientId: "modest-7f3a21"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/fhir/Patient?_count=1")).StatusCode);
    }

    [Theory]
    [InlineData("/fhir/Patient?_count=1", true, HttpStatusCode.OK)]
    [InlineData("/fhir/Patient?_count=1", false, HttpStatusCode.Unauthorized)]
    [InlineData("/fhir/Patient/missing-7f3a21", true, HttpStatusCode.NotFound)]
    [InlineData("/fhir/metadata", false, HttpStatusCode.OK)]
    public async Task GivenAnyAnswer_ThenSecurityHeaders(string path, bool withToken, HttpStatusCode status)
    {
        using var factory = new GatewayFactory();
        using var http = withToken ? factory.CreateClient() : factory.ClientWith(null);

        var response = await http.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }
}
