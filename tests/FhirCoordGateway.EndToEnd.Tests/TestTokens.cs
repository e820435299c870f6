using System.Net.Http.Headers;
using System.Security.Cryptography;
using FhirCoordGateway.Api.Security;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The test issuer: an RSA key made in memory for this test run, whose public JWKS GatewayFactory gives the
/// gateway as configuration, and tokens signed with it (or with a stranger's key, for the failure cases).
/// </summary>
public static class TestTokens
{
    public const string Issuer = "https://issuer.test.fhircoord.example";
    public const string Audience = "fhircoord-e2e";
    public const string FullAccess = "system/*.cruds";

    private static readonly RsaSecurityKey Key = NewKey("e2e-key");

    /// <summary>A key no configured issuer knows.</summary>
    public static readonly RsaSecurityKey StrangerKey = NewKey("stranger-key");

    public static string Jwks { get; } = SigningKeys.PublicJwks(Key);

    public static string Token(string scope = FullAccess, string? patient = null, string? role = null, string clientId = "e2e-client") =>
        Token(new TokenRequest(scope, patient, role, clientId));

    public static string Token(TokenRequest request, string issuer = Issuer, string audience = Audience, SecurityKey? key = null, DateTime? now = null) =>
        TokenMinter.Mint(request, issuer, audience, key ?? Key, now);

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    /// <summary>An HttpClient of <paramref name="factory"/> carrying <paramref name="token"/> (or none when null).</summary>
    public static HttpClient ClientWith(this GatewayFactory factory, string? token)
    {
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = token is null ? null : Bearer(token);
        return http;
    }

    private static RsaSecurityKey NewKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };
}
