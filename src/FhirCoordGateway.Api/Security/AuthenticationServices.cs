using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// JWT bearer authentication against the configured issuers: signature with that issuer's keys only, its
/// audiences, expiry with the configured clock skew. No metadata or JWKS download. ADR 0011.
/// </summary>
public static class AuthenticationServices
{
    public static void AddGatewayAuthentication(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SecurityOptions>().Bind(builder.Configuration.GetSection(SecurityOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<SecurityOptions>>((jwt, security) =>
        {
            var options = security.Value;
            var issuers = options.Enabled ? options.AllIssuers().ToList() : [];
            if (options.DevelopmentIssuer.Enabled)
            {
                SigningKeys.DevelopmentKey(options.DevelopmentIssuer);
            }

            var keys = issuers.ToDictionary(i => i.Issuer, i => SigningKeys.Of(i), StringComparer.Ordinal);
            var audiences = issuers.ToDictionary(i => i.Issuer, i => i.Audiences.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
            jwt.MapInboundClaims = false;
            jwt.TokenHandlers.Clear();
            jwt.TokenHandlers.Add(new CachingJsonWebTokenHandler(TimeProvider.System) { MapInboundClaims = false });
            jwt.RequireHttpsMetadata = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuers = keys.Keys,
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
                // A key of one issuer never validates another issuer's token.
                IssuerSigningKeyResolver = (_, token, _, _) => keys.GetValueOrDefault(token.Issuer) ?? [],
                AudienceValidator = (tokenAudiences, token, _) =>
                    audiences.TryGetValue(token.Issuer, out var allowed) && tokenAudiences.Any(allowed.Contains),
                NameClaimType = "sub",
            };
        });
    }
}
