using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Routing;
using FhirCoordGateway.Delivery.SecureMessaging;
using FhirCoordGateway.Delivery.SharedRecord;
using FhirCoordGateway.Delivery.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FhirCoordGateway.Delivery;

public static class DeliveryServices
{
    /// <summary>
    /// Routing, tracking, the delivery job, the PPS documents, and each connector whose peer is configured
    /// (<c>Delivery:SharedRecord:BaseUrl</c>, <c>Delivery:SecureMessaging:Host</c>); routing rules for a channel
    /// without a connector are skipped, so a gateway with no peers configured still runs.
    /// </summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(configuration[$"{SharedRecordOptions.Section}:BaseUrl"]))
        {
            services.AddSharedRecord(configuration);
        }

        if (!string.IsNullOrWhiteSpace(configuration[$"{SecureMessagingOptions.Section}:Host"]))
        {
            services.AddSecureMessaging(configuration);
        }

        // The PPS rendering takes its default codes and custodian from the shared-record options, configured or not.
        services.AddOptions<SharedRecordOptions>().Bind(configuration.GetSection(SharedRecordOptions.Section));
        services.TryAddSingleton<PpsDocumentRenderer>();
        services.AddSingleton<IChangeConsumer, PpsDocumentConsumer>();
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DeliveryTracker>();
        services.AddSingleton<DocumentLoader>();
        services.AddSingleton<RecipientResolver>();
        services.AddSingleton<SharingConsent>();
        services.AddSingleton<DocumentRouter>();
        services.AddSingleton<IDeliveryChannels, RegisteredConnectorChannels>();
        services.AddSingleton<IDeliveryQueue, HangfireDeliveryQueue>();
        services.AddTransient<DeliveryJob>();
        services.AddTransient<AcknowledgementPollingJob>();
        services.AddSingleton<IChangeConsumer, DocumentRoutingConsumer>();
        return services;
    }
}
