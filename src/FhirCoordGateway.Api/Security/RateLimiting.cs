using System.Globalization;
using System.Threading.RateLimiting;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using Microsoft.AspNetCore.RateLimiting;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// A token bucket per client id (the remote address for requests without a valid token); over it, 429 with
/// <c>Retry-After</c> and an OperationOutcome (<c>throttled</c>). Health probes are never limited.
/// </summary>
public static class RateLimiting
{
    public static void AddGatewayRateLimiting(this IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.StartsWithSegments("/health")
                    ? RateLimitPartition.GetNoLimiter("health")
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionOf(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.Burst,
                        TokensPerPeriod = options.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (context, _) => RejectAsync(context);
        });
    }

    private static string PartitionOf(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true
            ? "client:" + (http.User.FindFirst(RequestAccess.ClientIdClaim)?.Value ?? http.User.FindFirst("azp")?.Value ?? http.User.FindFirst("sub")?.Value)
            : "address:" + http.Connection.RemoteIpAddress;

    private static async ValueTask RejectAsync(OnRejectedContext context)
    {
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        var http = context.HttpContext;
        http.Response.OnStarting(() =>
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        await OutcomeMiddleware.WriteAsync(http, FailureKind.TooManyRequests.Status(), Outcomes.Error(
            FailureKind.TooManyRequests.IssueCode(), $"Too many requests from this client; retry in {seconds} s."));
    }
}
