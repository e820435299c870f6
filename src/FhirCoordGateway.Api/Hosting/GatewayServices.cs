using FhirCoordGateway.Api.Endpoints;
using FhirCoordGateway.Api.Export;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Api.Validation;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Delivery;
using FhirCoordGateway.Storage.Postgres;
using FhirCoordGateway.Subscriptions;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>The composition root: every service of the gateway is registered here.</summary>
public static class GatewayServices
{
    public static void AddGateway(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var connectionString = builder.Configuration.GetConnectionString("Fhir");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Fhir is not configured. Set ConnectionStrings__Fhir, or start the gateway with scripts/run.sh, which starts a local PostgreSQL.");
        }

        services.AddOptions<FhirServerOptions>().Bind(builder.Configuration.GetSection(FhirServerOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<FhirServerOptions>>().Value.Paging);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            // Kestrel stops oversized bodies too, a little above our own limit so that ours answers first with the clearer message.
            var limit = context.Configuration.GetSection(FhirServerOptions.Section).Get<FhirServerOptions>()?.MaxRequestBodyBytes ?? new FhirServerOptions().MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestBodySize = (long)limit + 1;
        });

        services.AddPostgresStorage(connectionString);
        builder.AddGatewayJobs(connectionString);
        services.AddDelivery(builder.Configuration);
        builder.AddWorkflows();
        builder.AddProfileValidation();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IResourceIdGenerator, GuidV7IdGenerator>();
        builder.AddSearch();
        services.AddSingleton<VersionFactory>();
        services.AddSingleton<CreateHandler>();
        services.AddSingleton<ReadHandler>();
        services.AddSingleton<UpdateHandler>();
        services.AddSingleton<DeleteHandler>();
        services.AddSingleton<HistoryHandler>();
        services.AddSingleton<SearchHandler>();
        services.AddFhirBundles(builder.Configuration);
        services.AddSubscriptions(builder.Configuration);
        builder.AddBulkExport();
        services.AddSingleton<CapabilityStatementBuilder>();
        services.AddSingleton<FhirBodyReader>();
        services.AddSingleton<FhirBase>();
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<ResourceTypeRouteConstraint>(ResourceTypeRouteConstraint.Name));
        services.AddHealthChecks().AddCheck<PostgresReadinessCheck>("postgres", tags: ["ready"]);
        builder.AddGatewaySecurity(); // last: it wraps the stores and replaces the search restriction source
    }
}
