using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Outcomes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Answers 401 with <c>WWW-Authenticate: Bearer</c> (RFC 6750 §3) to every request without a valid token,
/// except the anonymous paths: the CapabilityStatement, the SMART configuration and health probes.
/// </summary>
public sealed class AuthenticationRequiredMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.User.Identity?.IsAuthenticated == true || IsAnonymous(http.Request.Path))
        {
            await next(http);
            return;
        }

        var given = http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        // The handler caches its result per request: this asks for the failure, it does not validate again.
        var reason = given ? Reason((await http.AuthenticateAsync()).Failure) : "An access token is required.";
        var challenge = given
            ? $"Bearer realm=\"fhircoord\", error=\"invalid_token\", error_description=\"{reason}\""
            : "Bearer realm=\"fhircoord\"";
        // OutcomeMiddleware clears the response before writing the outcome: add the header when it starts.
        http.Response.OnStarting(() =>
        {
            http.Response.Headers.WWWAuthenticate = challenge;
            return Task.CompletedTask;
        });
        throw FhirOutcomeException.Of(FailureKind.Unauthorized, reason);
    }

    public static bool IsAnonymous(PathString path) =>
        path.StartsWithSegments("/health")
        || path.Equals(FhirBase.Path + "/metadata", StringComparison.Ordinal)
        || path.Equals(FhirBase.Path + "/.well-known/smart-configuration", StringComparison.Ordinal);

    /// <summary>A fixed text per failure kind: never the token or the library's message.</summary>
    private static string Reason(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "The access token expired.",
        SecurityTokenNotYetValidException => "The access token is not valid yet.",
        SecurityTokenInvalidIssuerException => "The access token's issuer is not trusted.",
        SecurityTokenInvalidAudienceException => "The access token is not addressed to this server.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The access token's signature is not valid.",
        _ => "The access token is not valid.",
    };
}
