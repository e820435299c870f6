using FhirCoordGateway.Api.Export;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Api.Validation;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using System.Reflection;
using Microsoft.AspNetCore.WebUtilities;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// The FHIR RESTful API under <c>/fhir</c>. Each endpoint parses the HTTP request, calls one Core handler
/// and writes the answer; all of them run behind <see cref="FhirAuthorizationFilter"/>.
/// https://hl7.org/fhir/R4/http.html
/// </summary>
public static class FhirEndpoints
{
    public static void MapFhir(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(FhirBase.Path).AddEndpointFilter<FhirAuthorizationFilter>();

        fhir.MapGet("/metadata", Capabilities).Is(FhirInteraction.Capabilities);
        fhir.MapValidation();
        fhir.MapSubscriptionOperations();
        fhir.MapBulkExport();
        fhir.MapGet("/_history", HistorySystem).Is(FhirInteraction.HistorySystem);
        fhir.MapGet("/{type:fhirtype}", Search).Is(FhirInteraction.SearchType);
        fhir.MapFhirSearch();
        fhir.MapDeliveries();
        fhir.MapWorkflows();
        fhir.MapPost("/{type:fhirtype}", Create).Is(FhirInteraction.Create);
        fhir.MapPut("/{type:fhirtype}", ConditionalUpdate).Is(FhirInteraction.Update);
        fhir.MapDelete("/{type:fhirtype}", ConditionalDelete).Is(FhirInteraction.Delete);
        fhir.MapGet("/{type:fhirtype}/_history", HistoryType).Is(FhirInteraction.HistoryType);
        fhir.MapGet("/{type:fhirtype}/{id}", Read).Is(FhirInteraction.Read);
        fhir.MapPut("/{type:fhirtype}/{id}", Update).Is(FhirInteraction.Update);
        fhir.MapDelete("/{type:fhirtype}/{id}", Delete).Is(FhirInteraction.Delete);
        fhir.MapGet("/{type:fhirtype}/{id}/_history", HistoryInstance).Is(FhirInteraction.HistoryInstance);
        fhir.MapGet("/{type:fhirtype}/{id}/_history/{vid}", VRead).Is(FhirInteraction.VRead);

        // Routing cannot tell "wrong method" here because /{type} also matches these paths for other methods.
        app.MapMethods(FhirBase.Path + "/metadata", WritingMethods, MethodNotAllowed);
        app.MapMethods(FhirBase.Path + "/_history", WritingMethods, MethodNotAllowed);
        app.MapFhirBundles();
    }

    private static readonly string[] WritingMethods = ["POST", "PUT", "PATCH", "DELETE"];

    private static void MethodNotAllowed(HttpContext http) => http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;

    internal static RouteHandlerBuilder Is(this RouteHandlerBuilder endpoint, FhirInteraction interaction, string? operation = null, string? resourceType = null) =>
        endpoint.WithMetadata(new FhirInteractionMetadata(interaction, operation, resourceType));

    /// <summary>Built per request: supported profiles change when conformance resources are written.</summary>
    private static Task Capabilities(HttpContext http, CapabilityStatementBuilder capabilities, FhirBase fhirBase) =>
        FhirResponses.WriteAsync(http, 200, capabilities.Build(fhirBase.Of(http.Request), SoftwareVersion));

    private static readonly string SoftwareVersion =
        typeof(FhirEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static async Task Read(HttpContext http, string type, string id, ReadHandler handler)
    {
        var stored = await handler.ReadAsync(type, id, http.RequestAborted);
        if (http.Request.Headers.IfNoneMatch.ToString() == ETag.Of(stored.Version))
        {
            FhirResponses.AddVersionHeaders(http, stored);
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        await FhirResponses.WriteStoredAsync(http, 200, stored);
    }

    private static async Task VRead(HttpContext http, string type, string id, string vid, ReadHandler handler) =>
        await FhirResponses.WriteStoredAsync(http, 200, await handler.ReadVersionAsync(type, id, vid, http.RequestAborted));

    private static async Task Create(HttpContext http, string type, CreateHandler handler, FhirBodyReader reader, SearchQueryParser parser, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
        var criteria = string.IsNullOrWhiteSpace(ifNoneExist) ? null : parser.Parse(type, ParseQuery(ifNoneExist), strict: true);
        var result = await handler.HandleAsync(type, resource, criteria, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    private static async Task Update(HttpContext http, string type, string id, UpdateHandler handler, FhirBodyReader reader, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        var ifMatch = ETag.ParseIfMatch(http.Request.Headers.IfMatch.ToString());
        var result = await handler.HandleAsync(type, id, resource, ifMatch, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    private static async Task ConditionalUpdate(HttpContext http, string type, UpdateHandler handler, FhirBodyReader reader, SearchQueryParser parser, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var criteria = parser.Parse(type, QueryOf(http), strict: true);
        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        var ifMatch = ETag.ParseIfMatch(http.Request.Headers.IfMatch.ToString());
        var result = await handler.HandleConditionalAsync(type, criteria, resource, ifMatch, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    private static async Task Delete(HttpContext http, string type, string id, DeleteHandler handler)
    {
        var tombstone = await handler.HandleAsync(type, id, http.RequestAborted);
        AnswerDeleted(http, tombstone);
    }

    private static async Task ConditionalDelete(HttpContext http, string type, DeleteHandler handler, SearchQueryParser parser)
    {
        ResourceTypes.EnsureSupported(type);
        var criteria = parser.Parse(type, QueryOf(http), strict: true);
        AnswerDeleted(http, await handler.HandleConditionalAsync(type, criteria, http.RequestAborted));
    }

    private static void AnswerDeleted(HttpContext http, Core.Storage.StoredResource? tombstone)
    {
        if (tombstone is not null)
        {
            http.Response.Headers.ETag = ETag.Of(tombstone.Version);
        }

        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    internal static Task Search(HttpContext http, string type, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase) =>
        SearchEndpoints.TypeSearch(http, type, handler, parser, fhirBase);

    private static Task HistorySystem(HttpContext http, HistoryHandler handler, FhirBase fhirBase) =>
        History(http, handler, fhirBase, null, null);

    private static Task HistoryType(HttpContext http, string type, HistoryHandler handler, FhirBase fhirBase) =>
        History(http, handler, fhirBase, type, null);

    private static Task HistoryInstance(HttpContext http, string type, string id, HistoryHandler handler, FhirBase fhirBase) =>
        History(http, handler, fhirBase, type, id);

    private static async Task History(HttpContext http, HistoryHandler handler, FhirBase fhirBase, string? type, string? id)
    {
        var q = http.Request.Query;
        var request = new HistoryRequest(fhirBase.Of(http.Request), type, id, q["_since"].FirstOrDefault(), q["_count"].FirstOrDefault(), q["_page"].FirstOrDefault());
        await FhirResponses.WriteAsync(http, 200, await handler.HandleAsync(request, http.RequestAborted));
    }

    private static IEnumerable<KeyValuePair<string, string>> QueryOf(HttpContext http) =>
        http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty)));

    private static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query) =>
        QueryHelpers.ParseQuery(query.StartsWith('?') ? query : "?" + query)
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty)));
}
