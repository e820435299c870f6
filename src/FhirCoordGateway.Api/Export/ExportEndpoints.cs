using FhirCoordGateway.Api.Endpoints;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Core.Export;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hangfire;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Export;

/// <summary>
/// FHIR Bulk Data Access v2 export (https://hl7.org/fhir/uv/bulkdata/export.html): kick-off at system, Patient and
/// Group level (async only), the status URL (202 with X-Progress, then the manifest; DELETE cancels and deletes)
/// and the ndjson files, which only the client that started the export can poll or download (others get 404).
/// Every endpoint goes through the authorization point and is audited like any request (ADR 0015).
/// </summary>
public static class ExportEndpoints
{
    public const string StatusOperation = "export-status";
    public const string FileOperation = "export-file";
    public const string NdjsonType = "application/fhir+ndjson";

    public static void MapBulkExport(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/$export", (HttpContext http, ExportKickOff kickOff) => kickOff.StartAsync(http, ExportLevel.System, null))
            .Is(FhirInteraction.Operation, "export");
        fhir.MapGet("/Patient/$export", (HttpContext http, ExportKickOff kickOff) => kickOff.StartAsync(http, ExportLevel.Patient, null))
            .Is(FhirInteraction.Operation, "export", "Patient");
        fhir.MapGet("/Group/{id}/$export", (HttpContext http, string id, ExportKickOff kickOff) => kickOff.StartAsync(http, ExportLevel.Group, id))
            .Is(FhirInteraction.Operation, "export", "Group");
        fhir.MapGet("/$" + StatusOperation + "/{exportId:guid}", Status).Is(FhirInteraction.Operation, StatusOperation);
        fhir.MapDelete("/$" + StatusOperation + "/{exportId:guid}", Delete).Is(FhirInteraction.Operation, StatusOperation);
        fhir.MapGet("/$" + FileOperation + "/{exportId:guid}/{file:int}", Download).Is(FhirInteraction.Operation, FileOperation);
    }

    /// <summary>202 with X-Progress while queued or running; the manifest once completed; 500 with an OperationOutcome if it failed.</summary>
    private static async Task Status(HttpContext http, Guid exportId, IExportStore store, FhirBase fhirBase, IOptions<SecurityOptions> security)
    {
        var job = Owned(http, await store.GetAsync(exportId, http.RequestAborted), exportId);
        switch (job.Status)
        {
            case ExportStatus.Completed:
                http.Response.StatusCode = StatusCodes.Status200OK;
                await http.Response.WriteAsJsonAsync(ExportManifest.Of(job, fhirBase.Of(http.Request), security.Value.Enabled), http.RequestAborted);
                return;
            case ExportStatus.Failed:
                await FhirResponses.WriteAsync(http, StatusCodes.Status500InternalServerError,
                    Outcomes.Error(Hl7.Fhir.Model.OperationOutcome.IssueType.Exception, job.Error ?? "The export failed."));
                return;
            default:
                http.Response.Headers["X-Progress"] = job.Progress ?? job.Status;
                http.Response.Headers.RetryAfter = "1";
                http.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
        }
    }

    /// <summary>Cancels a running export or deletes a finished one with its files: 202 (the spec's answer).</summary>
    private static async Task Delete(HttpContext http, Guid exportId, IExportStore store)
    {
        Owned(http, await store.GetAsync(exportId, http.RequestAborted), exportId);
        await store.DeleteAsync(exportId, http.RequestAborted);
        await FhirResponses.WriteAsync(http, StatusCodes.Status202Accepted, Outcomes.Information($"Export {exportId} was deleted."));
    }

    private static async Task Download(HttpContext http, Guid exportId, int file, IExportStore store)
    {
        var job = Owned(http, await store.GetAsync(exportId, http.RequestAborted), exportId);
        var body = job.Status == ExportStatus.Completed ? await store.ReadFileAsync(exportId, file, http.RequestAborted) : null;
        if (body is null)
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Export {exportId} has no file {file}.");
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = NdjsonType;
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>The export if the caller's client started it; otherwise the same 404 as for an unknown one (no hint that it exists).</summary>
    private static ExportJob Owned(HttpContext http, ExportJob? job, Guid exportId)
    {
        var owner = job?.Request.Requester?.Owner;
        var caller = http.Features.Get<RequestSecurity>()?.Access is { } access ? ExportRequester.OwnerOf(access.ClientId, access.Subject) : null;
        if (job is null || (owner is not null && owner != caller))
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Export {exportId} does not exist.");
        }

        return job;
    }
}

/// <summary>
/// The kick-off: checks the async preference and the parameters (400 with the parameter's location), reads the
/// group as the caller, refuses (403) an export that would write nothing the token may read, records the export
/// with the caller's access and queues its Hangfire job (id only).
/// </summary>
public sealed class ExportKickOff(IExportStore store, IBackgroundJobClient jobs, IResourceStore resources, FhirBase fhirBase, TimeProvider clock)
{
    public async Task StartAsync(HttpContext http, ExportLevel level, string? groupId)
    {
        if (!FhirResponses.Prefers(http.Request, "respond-async"))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "$export runs asynchronously only: send the header 'Prefer: respond-async'.", "Prefer");
        }

        var parameters = ExportParameters.Parse(
            http.Request.Query.SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v ?? ""))), lenient: FhirResponses.Prefers(http.Request, "handling=lenient"));
        if (groupId is not null)
        {
            ResourceTypes.EnsureValidId(groupId);
            if (await resources.ReadAsync("Group", groupId, http.RequestAborted) is not { Deleted: false })
            {
                throw FhirOutcomeException.Of(FailureKind.NotFound, $"Group/{groupId} does not exist.");
            }
        }

        var access = http.Features.Get<RequestSecurity>()?.Access;
        var baseUrl = fhirBase.Of(http.Request);
        var request = new ExportRequest(level, groupId, parameters.Types, parameters.Since, baseUrl + http.Request.Path.Value![FhirBase.Path.Length..] + http.Request.QueryString,
            access is null ? null : ExportRequester.From(access));
        var plan = ExportPlan.For(request, access);
        if (plan.Types.Count == 0)
        {
            throw plan.Skipped.Any(s => s.Refused) || parameters.Types.Count == 0
                ? FhirOutcomeException.Of(FailureKind.Forbidden, "Access denied: the access token grants read and search ('rs') on none of the types this export would write.")
                : FhirOutcomeException.Of(FailureKind.Invalid, $"None of the types in _type is in a Patient compartment, which a {level}-level export holds.", "_type");
        }

        var id = Guid.NewGuid();
        var now = clock.GetUtcNow();
        // Whole milliseconds: the manifest's transactionTime is the _since of the next export, and must mean the same instant.
        await store.CreateAsync(id, request, now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)), http.RequestAborted);
        jobs.Enqueue<BulkExportJob>(j => j.RunAsync(id, CancellationToken.None));
        http.Response.Headers.ContentLocation = $"{baseUrl}/${ExportEndpoints.StatusOperation}/{id}";
        await FhirResponses.WriteAsync(http, StatusCodes.Status202Accepted, Outcomes.Information($"Export {id} accepted; poll its status at the Content-Location URL."));
    }
}
