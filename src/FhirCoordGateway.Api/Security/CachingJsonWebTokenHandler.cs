using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Validates bearer tokens as <see cref="JsonWebTokenHandler"/> does, and remembers each token that passed, by its
/// SHA-256, until its <c>exp</c> (without the clock skew): a client sends the same token on every request, and
/// checking its RS256 signature and reading its claims again each time was the largest cost security added to a
/// read (docs/BENCHMARKS.md). Only successes are kept; a changed byte is another hash; an expired token is
/// validated again, and refused. Keys and issuers come from configuration, so a success cannot go stale before exp.
/// </summary>
public sealed class CachingJsonWebTokenHandler(TimeProvider clock) : JsonWebTokenHandler
{
    /// <summary>Past this many tokens the cache starts over (tokens live an hour; clients are few).</summary>
    private const int MaxTokens = 10_000;

    private readonly ConcurrentDictionary<string, (TokenValidationResult Result, DateTime Until)> _validated = new(StringComparer.Ordinal);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var key = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = clock.GetUtcNow().UtcDateTime;
        if (_validated.TryGetValue(key, out var cached))
        {
            if (now < cached.Until)
            {
                return Copy(cached.Result);
            }

            _validated.TryRemove(key, out _);
        }

        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken { ValidTo: var until } && now < until)
        {
            if (_validated.Count >= MaxTokens)
            {
                _validated.Clear();
            }

            _validated[key] = (result, until);
        }

        return result;
    }

    /// <summary>A result of its own per request, with its own identity: nothing one request does to it reaches another.</summary>
    private static TokenValidationResult Copy(TokenValidationResult result) => new()
    {
        IsValid = true,
        SecurityToken = result.SecurityToken,
        ClaimsIdentity = result.ClaimsIdentity.Clone(),
        Issuer = result.Issuer,
        TokenType = result.TokenType,
    };
}
