using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Documents;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Transactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// <c>POST [base]</c> with a batch or transaction Bundle. https://hl7.org/fhir/R4/http.html#transaction
/// The request passes <see cref="FhirAuthorizationFilter"/> as a <see cref="FhirInteraction.Transaction"/>
/// (its kind is only known from the body); each entry is then authorized with its own interaction, type
/// and id by the same <see cref="IRequestAuthorizer"/>. A transaction carrying an MHD SubmissionSet is an
/// ITI-65 Provide Document Bundle and goes to <see cref="MhdDocumentRecipient"/>.
/// </summary>
public static class BundleEndpoints
{
    public static void MapFhirBundles(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(FhirBase.Path).AddEndpointFilter<FhirAuthorizationFilter>();
        fhir.MapPost("/", Bundle).WithMetadata(new FhirInteractionMetadata(FhirInteraction.Transaction));
        app.MapFhirPatch();
        app.MapFhirDocuments();
    }

    private static async Task Bundle(
        HttpContext http, BundleHandler handler, MhdDocumentRecipient recipient, FhirBodyReader reader, FhirBase fhirBase, IRequestAuthorizer authorizer)
    {
        var resource = await reader.ReadAsync(http.Request, http.RequestAborted);
        if (resource is not Bundle bundle)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"POST [base] takes a batch or transaction Bundle, not a {resource.TypeName}.", "resourceType");
        }

        var context = Context(http, fhirBase, authorizer);
        var response = MhdDocumentRecipient.IsProvideDocumentBundle(bundle)
            ? await recipient.ProvideAsync(bundle, context, http.RequestAborted)
            : await handler.HandleAsync(bundle, context, http.RequestAborted);
        await FhirResponses.WriteAsync(http, StatusCodes.Status200OK, response);
    }

    internal static BundleRequest Context(HttpContext http, FhirBase fhirBase, IRequestAuthorizer authorizer) =>
        new(fhirBase.Of(http.Request), (request, ct) => authorizer.AuthorizeAsync(request, http.User, ct), FhirResponses.PreferReturn(http.Request));
}
