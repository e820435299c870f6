using FhirCoordGateway.Core.Security;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// The one place every FHIR endpoint passes through before it acts: it describes the request
/// (interaction from the endpoint's metadata, type and id from the route) and asks the configured
/// <see cref="IRequestAuthorizer"/>. Later scopes, compartments and audit plug in behind that interface.
/// </summary>
public sealed class FhirAuthorizationFilter(IRequestAuthorizer authorizer) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var interaction = http.GetEndpoint()?.Metadata.GetMetadata<FhirInteractionMetadata>()?.Interaction
            ?? throw new InvalidOperationException("Every FHIR endpoint declares its interaction.");
        var request = new FhirRequestContext(interaction, http.GetRouteValue("type") as string, http.GetRouteValue("id") as string);
        await authorizer.AuthorizeAsync(request, http.User, http.RequestAborted);
        return await next(context);
    }
}

/// <summary>Endpoint metadata naming the FHIR interaction an endpoint performs.</summary>
public sealed record FhirInteractionMetadata(FhirInteraction Interaction);
