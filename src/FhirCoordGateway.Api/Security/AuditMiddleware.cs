using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// After each request, queues the AuditEvent of what it did, unless its writes already committed one holding
/// every access: reads, searches, failed writes and refusals (401/403) alike. The anonymous paths are not
/// audited. Sits outside the outcome middleware, so that it sees the final status.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditRecorder recorder, IOptions<SecurityOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http);
        }
        finally
        {
            if (!AuthenticationRequiredMiddleware.IsAnonymous(http.Request.Path) && !http.RequestAborted.IsCancellationRequested)
            {
                var security = http.Features.Get<RequestSecurity>();
                if (security is null || security.NeedsAudit)
                {
                    var access = security?.Access
                        ?? (http.User.Identity?.IsAuthenticated == true ? RequestAccess.From(http.User, options.Value.AdminScope) : null);
                    await recorder.AfterRequest(new AuditRecord(
                        access, security?.Request, http.Response.StatusCode, Entities(security), http.TraceIdentifier), CancellationToken.None);
                }
            }
        }
    }

    /// <summary>What the request touched; for a refused or failed one, what it asked for.</summary>
    private static IReadOnlyList<string> Entities(RequestSecurity? security) => security switch
    {
        null => [],
        _ when security.Unaudited() is { Count: > 0 } touched => touched,
        { Request: { ResourceType: { } type, Id: { } id } } => [$"{type}/{id}"],
        _ => [],
    };
}

/// <summary>Writes the queued AuditEvents in the background, and the last ones at shutdown.</summary>
public sealed class AuditWriterService(AuditRecorder recorder, Core.Storage.IResourceStore store, ILogger<AuditWriterService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not stoppingToken: at shutdown the queue is completed and drained to its end.
        while (true)
        {
            try
            {
                await recorder.DrainAsync(store, CancellationToken.None);
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Writing AuditEvents failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        recorder.Complete();
        return base.StopAsync(cancellationToken);
    }
}
