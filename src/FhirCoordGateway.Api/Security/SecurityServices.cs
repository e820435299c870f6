using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Security;

/// <summary>Wires authentication, the SMART authorizer, the secured stores and the security middleware (ADR 0011).</summary>
public static class SecurityServices
{
    /// <summary>Call after the storage and search registrations: the secured stores wrap them.</summary>
    public static void AddGatewaySecurity(this WebApplicationBuilder builder)
    {
        builder.AddGatewayAuthentication();
        var services = builder.Services;
        var options = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        services.AddSingleton<RequestSecurityAccessor>();
        services.AddSingleton<ResourceVisibility>();
        services.AddSingleton<SmartConfiguration>();
        services.AddSingleton<ICapabilityContributor>(sp => sp.GetRequiredService<SmartConfiguration>());
        services.AddSingleton<ICapabilityContributor, AuditTrailCapabilities>();
        if (!options.Enabled)
        {
            services.AddSingleton<IRequestAuthorizer, AllowAllAuthorizer>();
            return;
        }

        if (options.RateLimit.Enabled)
        {
            services.AddGatewayRateLimiting(options.RateLimit);
        }

        services.AddSingleton<IRequestAuthorizer>(sp => new SmartAuthorizer(sp.GetRequiredService<IOptions<SecurityOptions>>().Value.AdminScope));
        services.AddSingleton<AuditEventFactory>();
        services.AddSingleton(sp => new AuditRecorder(sp.GetRequiredService<AuditEventFactory>(), sp.GetRequiredService<IOptions<SecurityOptions>>().Value.Audit));
        services.AddHostedService<AuditWriterService>();
        services.AddSingleton<ISearchRestrictionSource, SmartSearchRestrictionSource>();
        Decorate<IResourceStore>(services, (sp, inner) => new SecuredResourceStore(
            inner, sp.GetRequiredService<RequestSecurityAccessor>(), sp.GetRequiredService<ResourceVisibility>(), sp.GetRequiredService<AuditRecorder>()));
        Decorate<ISearchStore>(services, (sp, inner) => new SecuredSearchStore(inner, sp.GetRequiredService<RequestSecurityAccessor>(), sp.GetRequiredService<ResourceVisibility>()));
    }

    /// <summary>Queues an AuditEvent after each request: call before the outcome middleware, which sets the final status.</summary>
    public static void UseGatewayAudit(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.Enabled)
        {
            app.UseMiddleware<AuditMiddleware>();
        }
    }

    public static void UseGatewaySecurity(this WebApplication app)
    {
        app.UseMiddleware<SecurityHeadersMiddleware>();
        SmartConfiguration.Map(app);
        var options = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        if (!options.Enabled)
        {
            app.Logger.LogWarning("Security:Enabled is false: authentication, authorization and audit are OFF");
            return;
        }

        app.UseAuthentication();
        if (options.RateLimit.Enabled)
        {
            app.UseRateLimiter();
        }

        app.UseMiddleware<AuthenticationRequiredMiddleware>();
    }

    /// <summary>
    /// Whether the request's token carries the administration scope: for surfaces outside the FHIR API such as the
    /// Hangfire dashboard (<c>IDashboardAuthorizationFilter</c>: <c>context.GetHttpContext().HasAdminScope()</c>).
    /// The request must have passed authentication (any path but the anonymous ones does).
    /// </summary>
    public static bool HasAdminScope(this HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value;
        return !options.Enabled || (http.User.Identity?.IsAuthenticated == true && RequestAccess.From(http.User, options.AdminScope).IsAdmin);
    }

    /// <summary>Replaces the registration of <typeparamref name="T"/> by <paramref name="decorate"/> around it.</summary>
    private static void Decorate<T>(IServiceCollection services, Func<IServiceProvider, T, T> decorate)
        where T : class
    {
        var original = services.Last(d => d.ServiceType == typeof(T));
        services.Remove(original);
        services.AddSingleton(sp => decorate(sp, original.ImplementationInstance as T
            ?? (original.ImplementationFactory is { } factory ? (T)factory(sp) : (T)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
    }
}
