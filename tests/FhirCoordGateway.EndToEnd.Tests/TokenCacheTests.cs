using FhirCoordGateway.Api.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The validated-token cache (ADR 0011): a token that passed is served again only until its expiry and only for
/// exactly the same bytes; each request gets an identity of its own.
/// </summary>
public sealed class TokenCacheTests
{
    private sealed class TestClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static TokenValidationParameters Parameters() => new()
    {
        ValidIssuer = TestTokens.Issuer,
        ValidAudience = TestTokens.Audience,
        IssuerSigningKeys = new JsonWebKeySet(TestTokens.Jwks).GetSigningKeys(),
        ClockSkew = TimeSpan.FromMinutes(5),
    };

    [Fact]
    public async Task GivenValidatedToken_WhenSentAgain_ThenServedFromTheCacheUntilItsExpiryOnly()
    {
        var token = TestTokens.Token(new TokenRequest("system/*.rs") { Lifetime = TimeSpan.FromMinutes(1) });
        var expires = new JsonWebToken(token).ValidTo;
        var clock = new TestClock(DateTime.UtcNow);
        var handler = new CachingJsonWebTokenHandler(clock) { MapInboundClaims = false };

        var first = await handler.ValidateTokenAsync(token, Parameters());
        var again = await handler.ValidateTokenAsync(token, Parameters());
        clock.Now = expires;
        var afterExpiry = await handler.ValidateTokenAsync(token, Parameters());

        Assert.True(first.IsValid);
        Assert.True(again.IsValid);
        Assert.Same(first.SecurityToken, again.SecurityToken);           // not validated again
        Assert.NotSame(first.ClaimsIdentity, again.ClaimsIdentity);      // but an identity of its own
        Assert.Equal("system/*.rs", again.ClaimsIdentity.FindFirst("scope")?.Value);
        Assert.NotSame(first.SecurityToken, afterExpiry.SecurityToken);  // past exp: validated afresh (here still within the skew)
    }

    [Fact]
    public async Task GivenCachedToken_WhenASignatureByteChanges_ThenRefused()
    {
        var token = TestTokens.Token("system/*.rs");
        var handler = new CachingJsonWebTokenHandler(TimeProvider.System) { MapInboundClaims = false };
        Assert.True((await handler.ValidateTokenAsync(token, Parameters())).IsValid);
        var tampered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];

        var result = await handler.ValidateTokenAsync(tampered, Parameters());

        Assert.False(result.IsValid);
    }
}
