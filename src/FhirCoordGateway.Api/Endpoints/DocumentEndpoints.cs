using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Documents;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Transactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// <c>POST [base]/Bundle</c>: a FHIR document (<c>type=document</c>) is ingested by
/// <see cref="DocumentBundleIngestion"/> (stored intact, indexed as a DocumentReference, patient matched by
/// INS); any other Bundle is a plain create. This route is tried before the generic <c>POST [type]</c>.
/// </summary>
public static class DocumentEndpoints
{
    public static void MapFhirDocuments(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(FhirBase.Path).AddEndpointFilter<FhirAuthorizationFilter>();
        fhir.MapPost("/{type:regex(^Bundle$)}", CreateBundle).WithOrder(-1).WithMetadata(new FhirInteractionMetadata(FhirInteraction.Create));
    }

    private static async Task CreateBundle(
        HttpContext http, string type, DocumentBundleIngestion documents, CreateHandler creates, FhirBodyReader reader, SearchQueryParser parser, FhirBase fhirBase)
    {
        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        WriteResult result;
        if (resource is Bundle bundle && DocumentBundleIngestion.IsDocument(bundle))
        {
            var (stored, documentReference) = await documents.IngestAsync(bundle, http.RequestAborted);
            if (documentReference is not null)
            {
                http.Response.Headers.Link = $"<{fhirBase.Of(http.Request)}/{documentReference.VersionedReference}>; rel=\"related\"";
            }

            result = stored;
        }
        else
        {
            var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
            var criteria = string.IsNullOrWhiteSpace(ifNoneExist) ? null : parser.Parse(type, QueryText.Parse(ifNoneExist), strict: true);
            result = await creates.HandleAsync(type, resource, criteria, http.RequestAborted);
        }

        await FhirResponses.WriteWriteResultAsync(http, result, fhirBase.Of(http.Request));
    }
}
