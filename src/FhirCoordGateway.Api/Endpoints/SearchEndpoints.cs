using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Reindex;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// Search entry points: <c>GET|POST [type]?</c> / <c>[type]/_search</c>, system search (<c>_type</c>), compartment
/// search <c>Patient/{id}/[type]</c> and <c>Patient/{id}/$everything</c>. Unknown parameters are ignored unless the
/// request says <c>Prefer: handling=strict</c>. https://hl7.org/fhir/R4/http.html#search
/// </summary>
public static class SearchEndpoints
{
    public static void MapFhirSearch(this RouteGroupBuilder fhir)
    {
        fhir.MapGet("/", SystemSearch).Is(FhirInteraction.SearchSystem);
        fhir.MapPost("/_search", SystemSearch).Is(FhirInteraction.SearchSystem);
        fhir.MapPost("/{type:fhirtype}/_search", TypeSearchPost).Is(FhirInteraction.SearchType);
        fhir.MapGet("/Patient/{id}/$everything", Everything).Is(FhirInteraction.Operation, "everything", "Patient");
        fhir.MapGet("/{compartment:fhirtype}/{id}/{type:fhirtype}", CompartmentSearch).Is(FhirInteraction.SearchType);
        fhir.MapPost("/$reindex", StartReindex).Is(FhirInteraction.Operation, "reindex");
        fhir.MapGet("/$reindex/{jobId:guid}", ReindexStatus).Is(FhirInteraction.Operation, "reindex");
    }

    /// <summary>
    /// <c>POST $reindex[?resourceType=X]</c>: queues a background job rebuilding the index rows (after a SearchParameter was
    /// added or changed); 202 with the job id and its status URL in Content-Location.
    /// </summary>
    private static async Task StartReindex(HttpContext http, IReindexStore store, FhirBase fhirBase)
    {
        var type = http.Request.Query["resourceType"].FirstOrDefault();
        if (type is not null)
        {
            ResourceTypes.EnsureSupported(type);
        }

        var id = await store.CreateAsync(type, http.RequestAborted);
        http.Response.Headers.ContentLocation = $"{fhirBase.Of(http.Request)}/$reindex/{id}";
        await FhirResponses.WriteAsync(http, StatusCodes.Status202Accepted, StatusOf((await store.GetAsync(id, http.RequestAborted))!));
    }

    private static async Task ReindexStatus(HttpContext http, Guid jobId, IReindexStore store)
    {
        var status = await store.GetAsync(jobId, http.RequestAborted)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"Reindex job {jobId} does not exist.");
        await FhirResponses.WriteAsync(http, 200, StatusOf(status));
    }

    private static Hl7.Fhir.Model.Parameters StatusOf(Core.Search.Reindex.ReindexStatus s)
    {
        var p = new Hl7.Fhir.Model.Parameters();
        p.Add("jobId", new Hl7.Fhir.Model.FhirString(s.JobId.ToString()));
        p.Add("status", new Hl7.Fhir.Model.Code(s.Status));
        p.Add("processed", new Hl7.Fhir.Model.Integer((int)Math.Min(s.Processed, int.MaxValue)));
        p.Add("total", new Hl7.Fhir.Model.Integer((int)Math.Min(s.Total, int.MaxValue)));
        if (s.ResourceType is not null)
        {
            p.Add("resourceType", new Hl7.Fhir.Model.Code(s.ResourceType));
        }

        if (s.Error is not null)
        {
            p.Add("error", new Hl7.Fhir.Model.FhirString(s.Error));
        }

        return p;
    }

    /// <summary><c>GET [type]?...</c> (called by <see cref="FhirEndpoints"/>).</summary>
    internal static async Task TypeSearch(HttpContext http, string type, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var baseUrl = fhirBase.Of(http.Request);
        await RespondAsync(http, baseUrl, type, parser.Parse(type, await ParametersAsync(http), Strict(http.Request), baseUrl), handler);
    }

    private static Task TypeSearchPost(HttpContext http, string type, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase) =>
        TypeSearch(http, type, handler, parser, fhirBase);

    private static async Task SystemSearch(HttpContext http, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase)
    {
        var baseUrl = fhirBase.Of(http.Request);
        await RespondAsync(http, baseUrl, "", parser.ParseSystem(await ParametersAsync(http), Strict(http.Request), baseUrl), handler);
    }

    private static async Task CompartmentSearch(HttpContext http, string compartment, string id, string type, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase)
    {
        if (compartment != "Patient")
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Compartment {compartment} is not supported; only Patient is.");
        }

        ResourceTypes.EnsureValidId(id);
        var baseUrl = fhirBase.Of(http.Request);
        var query = parser.Parse(type, await ParametersAsync(http), Strict(http.Request), baseUrl);
        query = query with { Criteria = [.. query.Criteria, new CompartmentCriterion(compartment, id)] };
        await RespondAsync(http, baseUrl, $"{compartment}/{id}/{type}", query, handler);
    }

    /// <summary>
    /// <c>Patient/{id}/$everything</c>: the patient and every resource of its compartment, with <c>_since</c>,
    /// <c>_type</c>, <c>_count</c> and paging. https://hl7.org/fhir/R4/operation-patient-everything.html
    /// </summary>
    private static async Task Everything(HttpContext http, string id, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase, IResourceStore store)
    {
        ResourceTypes.EnsureValidId(id);
        if (await store.ReadAsync("Patient", id, http.RequestAborted) is not { Deleted: false })
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Patient/{id} does not exist.");
        }

        var all = (await ParametersAsync(http)).ToList();
        var since = all.Where(p => p.Key == "_since").Select(p => p.Value).LastOrDefault();
        var rest = all.Where(p => p.Key is "_type" or "_count" or "_page" or "_format" or "_pretty").ToList();
        if (!rest.Any(p => p.Key == "_type"))
        {
            // The patient's record, not the audit trail of who accessed it (AuditEvents are searched on their own, ADR 0016).
            var types = CompartmentDefinitions.Patient.Keys.Where(t => t != AuditTrail.ResourceType).Order(StringComparer.Ordinal);
            rest.Add(KeyValuePair.Create("_type", string.Join(',', types)));
        }

        var baseUrl = fhirBase.Of(http.Request);
        var query = parser.ParseSystem(rest, strict: true, baseUrl);
        var criteria = new List<SearchCriterion>(query.Criteria) { new CompartmentCriterion("Patient", id) };
        var understood = query.Understood.Where(p => p.Key != "_type" || all.Any(a => a.Key == "_type")).ToList();
        if (since is not null)
        {
            criteria.Add(parser.Parse("Patient", [KeyValuePair.Create("_lastUpdated", "ge" + since)], strict: true).Criteria[0]);
            understood.Add(KeyValuePair.Create("_since", since));
        }

        query = query with { Criteria = criteria, Understood = understood };
        await RespondAsync(http, baseUrl, $"Patient/{id}/$everything", query, handler);
    }

    /// <summary>
    /// The one exit of every search entry point: the caller's <see cref="SearchRestriction"/> is attached here, so
    /// no path answers without it (the store applies it to matches, includes and totals).
    /// </summary>
    private static async Task RespondAsync(HttpContext http, string baseUrl, string path, SearchQuery query, SearchHandler handler)
    {
        var restriction = await http.RequestServices.GetRequiredService<ISearchRestrictionSource>().ForAsync(http.User, http.RequestAborted);
        query = query with { Restriction = restriction };
        await FhirResponses.WriteAsync(http, 200, await handler.HandleAsync(baseUrl, path, query, http.RequestAborted));
    }

    /// <summary>The query string, plus the form body of a POST (application/x-www-form-urlencoded).</summary>
    private static async Task<IEnumerable<KeyValuePair<string, string>>> ParametersAsync(HttpContext http)
    {
        var list = http.Request.Query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? ""))).ToList();
        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (!http.Request.HasFormContentType)
            {
                throw FhirOutcomeException.Of(FailureKind.Invalid, "POST _search needs an application/x-www-form-urlencoded body.");
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            list.AddRange(form.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? ""))));
        }

        return list;
    }

    /// <summary><c>Prefer: handling=strict</c> (RFC 7240, https://hl7.org/fhir/R4/search.html#errors).</summary>
    private static bool Strict(HttpRequest request) => FhirResponses.Prefers(request, "handling=strict");
}
