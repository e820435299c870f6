using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Routing;
using FhirCoordGateway.Delivery.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.Delivery;

public static class DeliveryServices
{
    /// <summary>Routing, tracking and the delivery job. The connectors register themselves (AddSharedRecord, AddSecureMessaging).</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DeliveryTracker>();
        services.AddSingleton<DocumentLoader>();
        services.AddSingleton<RecipientResolver>();
        services.AddSingleton<SharingConsent>();
        services.AddSingleton<DocumentRouter>();
        services.AddSingleton<IDeliveryChannels, RegisteredConnectorChannels>();
        services.AddSingleton<IDeliveryQueue, HangfireDeliveryQueue>();
        services.AddTransient<DeliveryJob>();
        services.AddSingleton<IChangeConsumer, DocumentRoutingConsumer>();
        return services;
    }
}
