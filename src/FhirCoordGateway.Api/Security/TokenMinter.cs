using FhirCoordGateway.Core.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.Api.Security;

/// <summary>What a minted token says: SMART scopes and launch context, the caller's role and client.</summary>
public sealed record TokenRequest(string Scope, string? Patient = null, string? Role = null, string ClientId = "fhircoord-dev-client", string Subject = "dev-user")
{
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(1);

    public string? FhirUser { get; init; }
}

/// <summary>Signs access tokens for the development issuer (the <c>token</c> command) and for tests.</summary>
public static class TokenMinter
{
    public static string Mint(TokenRequest request, string issuer, string audience, SecurityKey key, DateTime? now = null)
    {
        var issued = now ?? DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [RequestAccess.ScopeClaim] = request.Scope,
            [RequestAccess.ClientIdClaim] = request.ClientId,
            ["sub"] = request.Subject,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (request.Patient is not null)
        {
            claims[RequestAccess.PatientClaim] = request.Patient;
        }

        if (request.Role is not null)
        {
            claims[RequestAccess.RoleClaim] = request.Role;
        }

        if (request.FhirUser is not null)
        {
            claims[RequestAccess.FhirUserClaim] = request.FhirUser;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = issued + request.Lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }
}
