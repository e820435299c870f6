using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SecureMessaging;

public static class SecureMessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the MSSanté connector (<see cref="ISecureMessagingConnector"/>), the MDN parser and, when
    /// <c>Delivery:SecureMessaging:Imap</c> is configured, the <see cref="ImapAcknowledgementReader"/>, with
    /// <see cref="SecureMessagingOptions"/> from section <c>Delivery:SecureMessaging</c>, validated at startup.
    /// </summary>
    public static IServiceCollection AddSecureMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecureMessagingOptions>().Bind(configuration.GetSection(SecureMessagingOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecureMessagingOptions>, SecureMessagingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MailTransportSecurity>();
        services.AddSingleton<SecureMessageComposer>();
        services.AddSingleton<MdnParser>();
        services.AddSingleton<ISecureMessagingConnector, SmtpSecureMessagingConnector>();
        if (configuration.GetSection(SecureMessagingOptions.Section).GetSection("Imap").Exists())
            services.AddSingleton<ImapAcknowledgementReader>();
        return services;
    }
}
