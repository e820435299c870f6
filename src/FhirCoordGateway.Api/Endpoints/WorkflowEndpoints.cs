using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Workflows;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// The coordination workflows' operations (issue 7, docs/adr/0013): the médecin traitant's validation of a PPS
/// and the funders' coordination report. The referral lifecycle needs no endpoint: the specialist updates the
/// tracking Task with plain FHIR writes.
/// </summary>
public static class WorkflowEndpoints
{
    public static void MapWorkflows(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/CarePlan/{id}/$validate-by-mt", ValidateByMt).Is(FhirInteraction.Operation, "validate-by-mt", "CarePlan");
        fhir.MapGet("/$coordination-report", CoordinationReport).Is(FhirInteraction.Operation, "coordination-report");
    }

    /// <summary><c>POST CarePlan/{id}/$validate-by-mt</c> with Parameters <c>validator</c> (optional with security on): 200 with the active plan.</summary>
    private static async System.Threading.Tasks.Task ValidateByMt(HttpContext http, string id, MtValidationHandler handler, FhirBodyReader reader, FhirBase fhirBase)
    {
        // No body: no parameters (with security on, the validator is then the caller).
        var empty = http.Request.ContentLength == 0 || (http.Request.ContentLength is null && http.Request.Headers.TransferEncoding.Count == 0);
        if ((empty ? new Parameters() : await reader.ReadAsync(http.Request, http.RequestAborted)) is not Parameters parameters)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "$validate-by-mt takes a Parameters resource.", "resourceType");
        }

        var ifMatch = ETag.ParseIfMatch(http.Request.Headers.IfMatch.ToString());
        var result = await handler.HandleAsync(id, parameters, ifMatch, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    /// <summary><c>GET $coordination-report?period=YYYY[-MM[-DD]]</c> or <c>?start=YYYY-MM-DD&amp;end=YYYY-MM-DD</c>.</summary>
    private static async System.Threading.Tasks.Task CoordinationReport(HttpContext http, CoordinationReport report)
    {
        var query = http.Request.Query;
        var period = ReportPeriod.Parse(query["period"].ToString(), query["start"].ToString(), query["end"].ToString());
        await FhirResponses.WriteAsync(http, StatusCodes.Status200OK, await report.BuildAsync(period, http.RequestAborted));
    }
}
