using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Core.Security;
using Microsoft.Extensions.Options;
using Serilog;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// The one place every FHIR endpoint passes through before it acts: it describes the request
/// (interaction from the endpoint's metadata, type and id from the route) and asks the configured
/// <see cref="IRequestAuthorizer"/>. It also makes the caller's access (<see cref="RequestSecurity"/>) current for
/// the rest of the request, so that the secured stores confine every read, search and write to it.
/// It also gives the request-log event its resource type and interaction (ids only, never values).
/// </summary>
public sealed class FhirAuthorizationFilter(
    IRequestAuthorizer authorizer, IDiagnosticContext diagnostics, RequestSecurityAccessor security, IOptions<SecurityOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var declared = http.GetEndpoint()?.Metadata.GetMetadata<FhirInteractionMetadata>()
            ?? throw new InvalidOperationException("Every FHIR endpoint declares its interaction.");
        var type = http.GetRouteValue("type") as string ?? declared.ResourceType;
        var request = new FhirRequestContext(declared.Interaction, type, http.GetRouteValue("id") as string, declared.Operation);
        diagnostics.Set("Interaction", declared.Interaction);
        if (type is not null)
        {
            diagnostics.Set("ResourceType", type);
        }

        RequestSecurity? current = null;
        if (options.Value.Enabled && http.User.Identity?.IsAuthenticated == true)
        {
            current = new RequestSecurity(RequestAccess.From(http.User, options.Value.AdminScope), request, http.TraceIdentifier);
            security.Current = current;
            http.Features.Set(current);
        }

        try
        {
            await authorizer.AuthorizeAsync(request, http.User, http.RequestAborted);
            return await next(context);
        }
        finally
        {
            // Background work started by the request (it inherits the async flow) must not keep its caller's access.
            current?.Ended = true;
        }
    }
}

/// <summary>
/// Endpoint metadata naming the FHIR interaction an endpoint performs (and, for operations, which one; for
/// routes with a fixed type, which type).
/// </summary>
public sealed record FhirInteractionMetadata(FhirInteraction Interaction, string? Operation = null, string? ResourceType = null);
