using System.Net;
using FhirCoordGateway.Api.Security;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Bearer tokens of the configured issuers only: 401 OperationOutcome with <c>WWW-Authenticate</c> for a
/// missing, expired, foreign or mis-addressed token; anonymous access to metadata and health only.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFactory gateway)
{
    [Theory]
    [InlineData("/fhir/metadata")]
    [InlineData("/health/live")]
    [InlineData("/fhir/.well-known/smart-configuration")]
    public async Task GivenNoToken_WhenAnonymousPath_ThenAnswered(string path)
    {
        using var http = gateway.ClientWith(null);

        var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/fhir/Patient")]
    [InlineData("/fhir/Patient/any-7f3a21")]
    [InlineData("/fhir/_history")]
    [InlineData("/fhir/no-such-route")]
    [InlineData("/elsewhere")]
    public async Task GivenNoToken_ThenAnswer401WithBearerChallenge(string path)
    {
        using var http = gateway.ClientWith(null);

        var response = await http.GetAsync(path);

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login);
        Assert.Equal("An access token is required.", outcome.Issue[0].Diagnostics);
        Assert.Equal("Bearer realm=\"fhircoord\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
    }

    [Fact]
    public async Task GivenNoToken_WhenWriting_ThenAnswer401AndNothingStored()
    {
        var ipp = TestData.Unique("anon-write");
        using var http = gateway.ClientWith(null);

        var response = await http.PostAsync("/fhir/Patient", Http.Json(FhirJsonSerializer.Default.SerializeToString(TestData.Patient(ipp))));

        await Http.AssertOutcome(response, HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login);
        var search = await gateway.Fhir().SearchAsync<Patient>([$"identifier={TestData.Ipp}|{ipp}"]);
        Assert.Empty(search!.Entry);
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "expired", "The access token expired." },
        { "not-yet-valid", "The access token is not valid yet." },
        { "wrong-audience", "The access token is not addressed to this server." },
        { "wrong-issuer", "The access token's issuer is not trusted." },
        { "stranger-key", "The access token's signature is not valid." },
        { "garbage", "The access token is not valid." },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task GivenInvalidToken_ThenAnswer401InvalidToken(string kind, string reason)
    {
        var request = new TokenRequest(TestTokens.FullAccess);
        var token = kind switch
        {
            "expired" => TestTokens.Token(request, now: DateTime.UtcNow.AddHours(-2)),
            "not-yet-valid" => TestTokens.Token(request, now: DateTime.UtcNow.AddHours(2)),
            "wrong-audience" => TestTokens.Token(request, audience: "someone-else"),
            "wrong-issuer" => TestTokens.Token(request, issuer: "https://issuer.elsewhere.example"),
            "stranger-key" => TestTokens.Token(request, key: TestTokens.StrangerKey),
            _ => "not-a-jwt-7f3a21",
        };
        using var http = gateway.ClientWith(token);

        var response = await http.GetAsync("/fhir/Patient");

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login);
        Assert.Equal(reason, outcome.Issue[0].Diagnostics);
        Assert.Equal($"Bearer realm=\"fhircoord\", error=\"invalid_token\", error_description=\"{reason}\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.DoesNotContain(token, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GivenTokenExpiredWithinClockSkew_ThenAccepted()
    {
        var token = TestTokens.Token(new TokenRequest(TestTokens.FullAccess) { Lifetime = TimeSpan.FromMinutes(10) }, now: DateTime.UtcNow.AddMinutes(-10.5));
        using var http = gateway.ClientWith(token);

        var response = await http.GetAsync("/fhir/Patient?_count=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
