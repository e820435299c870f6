using FhirCoordGateway.Api.Security;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>
/// Who may open the Hangfire dashboard: with security on, a caller whose token carries the admin scope (the
/// bearer was already checked by the authentication middleware, like for any other path); with security off,
/// local requests only.
/// </summary>
public sealed class DashboardAuthorization : IDashboardAuthorizationFilter
{
    private static readonly LocalRequestsOnlyAuthorizationFilter LocalOnly = new();

    public bool Authorize(DashboardContext context)
    {
        var http = context.GetHttpContext();
        return http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.Enabled
            ? http.HasAdminScope()
            : LocalOnly.Authorize(context);
    }
}
