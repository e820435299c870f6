using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Records the AuditEvent of what each request did, unless its writes already committed one holding every access:
/// reads, searches, failed writes and refusals (401/403) alike. The AuditEvent is queued when the answer is about to
/// start (<c>OnStarting</c>), and with <c>Security:Audit:CommitBeforeAnswer</c> the answer waits for its commit; an
/// answer that never starts (the client went away) is still recorded. The anonymous paths are not audited. Sits
/// outside the outcome middleware, so that it sees the final status.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditRecorder recorder, IOptions<SecurityOptions> options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (AuthenticationRequiredMiddleware.IsAnonymous(http.Request.Path))
        {
            await next(http);
            return;
        }

        // Whichever comes first records: the answer starting, or the end of a request whose answer never started.
        var claimed = 0;
        http.Response.OnStarting(() =>
            Interlocked.Exchange(ref claimed, 1) == 0 && Record(http) is { } record ? recorder.RecordAsync(record, recorder.CommitBeforeAnswer) : Task.CompletedTask);
        try
        {
            await next(http);
            if (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                // An answer without a body starts only after the pipeline: start it here, so its AuditEvent is queued (and committed) first.
                await http.Response.StartAsync(http.RequestAborted);
            }
        }
        finally
        {
            if (Interlocked.Exchange(ref claimed, 1) == 0 && Record(http) is { } record)
            {
                await recorder.RecordAsync(record, untilCommitted: false);
            }
        }
    }

    /// <summary>The request's AuditEvent content, or null when its writes' transaction already recorded every access.</summary>
    private AuditRecord? Record(HttpContext http)
    {
        var security = http.Features.Get<RequestSecurity>();
        if (security is { NeedsAudit: false })
        {
            return null;
        }

        var access = security?.Access
            ?? (http.User.Identity?.IsAuthenticated == true ? RequestAccess.From(http.User, options.Value.AdminScope) : null);
        return new AuditRecord(access, security?.Request, http.Response.StatusCode, Entities(security), http.TraceIdentifier);
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

/// <summary>The writers of request AuditEvents (batches, <see cref="AuditRecorder"/>), to the last one at shutdown.</summary>
public sealed class AuditWriterService(AuditRecorder recorder, Core.Storage.IResourceStore store, ILogger<AuditWriterService> logger) : BackgroundService
{
    // Not stoppingToken: at shutdown the queue is completed and drained to its end.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, AuditRecorder.Writers).Select(_ => Task.Run(
            () => recorder.DrainAsync(store, e => logger.LogError(e, "Appending AuditEvents failed; retrying"), CancellationToken.None),
            CancellationToken.None)));

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        recorder.Complete();
        return base.StopAsync(cancellationToken);
    }
}
