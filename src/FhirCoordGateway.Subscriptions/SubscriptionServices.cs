using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Subscriptions;

/// <summary>Registers subscriptions (section <c>Subscriptions</c>). Call after the profile validator and Hangfire are registered.</summary>
public static class SubscriptionServices
{
    public static IServiceCollection AddSubscriptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SubscriptionOptions>().Bind(configuration.GetSection(SubscriptionOptions.Section))
            .PostConfigure(o => o.BaseUrl ??= configuration["Fhir:BaseUrl"])
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value);
        services.AddSingleton<SubscriptionReader>();
        services.AddSingleton<IVersionRule>(sp => new SubscriptionOwnerRule(sp.GetService<Core.Security.RequestSecurityAccessor>()));
        services.TryAddSingleton(sp => new SearchMatcher(sp.GetRequiredService<SearchIndexer>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SubscriptionEvaluator>();
        services.AddSingleton<SubscriptionOperations>();
        services.AddSingleton<NotificationBuilder>();
        services.AddSingleton<SubscriptionStatusWriter>();
        services.AddSingleton<RestHookSender>();
        services.AddSingleton<SubscriptionSender>();
        services.AddSingleton<SubscriptionDispatcher>();
        services.AddSingleton<ISubscriptionDeliveryQueue>(sp => sp.GetRequiredService<SubscriptionDispatcher>());
        services.AddTransient<SubscriptionDeliveryJob>();
        services.AddTransient<SubscriptionSweepJob>();
        services.AddSingleton<IChangeConsumer, SubscriptionChangeConsumer>();
        services.AddSingleton<ICapabilityContributor, SubscriptionCapabilities>();

        // Only where the gateway runs its background work (Jobs:RunServer, see GatewayJobs): HTTP-only nodes just enqueue.
        if (configuration.GetValue("Jobs:RunServer", true))
        {
            services.AddHostedService<SubscriptionRecurringJobs>();
            services.AddHostedService(sp => sp.GetRequiredService<SubscriptionDispatcher>());
        }

        services.AddHttpClient(RestHookSender.ClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        DecorateValidator(services);
        return services;
    }

    /// <summary>Wraps the registered <see cref="IResourceValidator"/> with the Subscription rules.</summary>
    private static void DecorateValidator(IServiceCollection services)
    {
        var inner = services.LastOrDefault(d => d.ServiceType == typeof(IResourceValidator));
        services.Remove(inner!);
        services.AddSingleton<IResourceValidator>(sp => new SubscriptionRulesValidator(
            inner switch
            {
                { ImplementationFactory: { } f } => (IResourceValidator)f(sp),
                { ImplementationInstance: IResourceValidator i } => i,
                { ImplementationType: { } t } => (IResourceValidator)ActivatorUtilities.CreateInstance(sp, t),
                _ => new NoProfileValidation(),
            },
            sp.GetRequiredService<SubscriptionReader>()));
    }
}

/// <summary>Registers the sweep as a Hangfire recurring job at start-up.</summary>
internal sealed class SubscriptionRecurringJobs(IRecurringJobManager recurring, SubscriptionOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<SubscriptionSweepJob>(SubscriptionSweepJob.RecurringId, j => j.RunAsync(CancellationToken.None), options.SweepCron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
