using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Patch;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Transactions;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// <c>PATCH [type]/[id]</c> and conditional <c>PATCH [type]?criteria</c>, with a JSON Patch
/// (<c>application/json-patch+json</c>) or a FHIRPath Patch (a Parameters in FHIR JSON or XML), and If-Match.
/// https://hl7.org/fhir/R4/http.html#patch
/// </summary>
public static class PatchEndpoints
{
    private static readonly string[] Patch = ["PATCH"];

    public static void MapFhirPatch(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(FhirBase.Path).AddEndpointFilter<FhirAuthorizationFilter>();
        fhir.MapMethods("/{type:fhirtype}/{id}", Patch, Instance).WithMetadata(new FhirInteractionMetadata(FhirInteraction.Patch));
        fhir.MapMethods("/{type:fhirtype}", Patch, Conditional).WithMetadata(new FhirInteractionMetadata(FhirInteraction.Patch));
    }

    private static async Task Instance(HttpContext http, string type, string id, PatchHandler handler, FhirBodyReader reader, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var patch = await ReadPatchAsync(http, reader);
        var ifMatch = ETag.ParseIfMatch(http.Request.Headers.IfMatch.ToString());
        var result = await handler.HandleAsync(type, id, patch, ifMatch, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    private static async Task Conditional(HttpContext http, string type, PatchHandler handler, FhirBodyReader reader, SearchQueryParser parser, FhirBase fhirBase)
    {
        ResourceTypes.EnsureSupported(type);
        var criteria = parser.Parse(type, QueryText.Parse(http.Request.QueryString.Value), strict: true);
        var patch = await ReadPatchAsync(http, reader);
        var ifMatch = ETag.ParseIfMatch(http.Request.Headers.IfMatch.ToString());
        var result = await handler.HandleConditionalAsync(type, criteria, patch, ifMatch, http.RequestAborted);
        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }

    private static async Task<PatchDocument> ReadPatchAsync(HttpContext http, FhirBodyReader reader)
    {
        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        if (string.Equals(mediaType, JsonPatch.MediaType, StringComparison.OrdinalIgnoreCase))
        {
            return PatchDocument.FromJsonPatch(await reader.ReadBytesAsync(http.Request, http.RequestAborted));
        }

        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        return resource is Parameters parameters
            ? PatchDocument.FromParameters(parameters)
            : throw FhirOutcomeException.Of(
                FailureKind.Invalid, $"A PATCH body is a JSON Patch ({JsonPatch.MediaType}) or a FHIRPath Patch Parameters, not a {resource.TypeName}.");
    }
}
