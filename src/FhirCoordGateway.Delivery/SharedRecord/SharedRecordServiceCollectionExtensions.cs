using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SharedRecord;

public static class SharedRecordServiceCollectionExtensions
{
    /// <summary>
    /// The shared-record connector (<see cref="ISharedRecordConnector"/>) over MHD, its options from
    /// <c>Delivery:SharedRecord</c> (validated at start-up), and the PPS renderer.
    /// </summary>
    public static IServiceCollection AddSharedRecord(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SharedRecordOptions>()
            .Bind(configuration.GetSection(SharedRecordOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProvideDocumentBundleBuilder>();
        services.TryAddSingleton<PpsDocumentRenderer>();
        services.AddHttpClient<IProvideDocumentTransport, MhdHttpTransport>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<SharedRecordOptions>>().Value;
                http.Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
                if (options.BearerToken is { Length: > 0 } token)
                    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<SharedRecordOptions>>().Value;
                var handler = new SocketsHttpHandler();
                if (options.ClientCertificatePath is { Length: > 0 } path)
                {
                    handler.SslOptions.ClientCertificates =
                        [X509CertificateLoader.LoadPkcs12FromFile(path, options.ClientCertificatePassword)];
                }

                if (options.TrustedCaPath is { Length: > 0 } ca)
                {
                    // Declarative chain policy (no validation callback): the configured roots only; host name checks still apply.
                    var policy = new X509ChainPolicy
                    {
                        TrustMode = X509ChainTrustMode.CustomRootTrust,
                        RevocationMode = options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
                    };
                    policy.CustomTrustStore.ImportFromPemFile(ca);
                    handler.SslOptions.CertificateChainPolicy = policy;
                }
                else
                {
                    // .NET's default is NoCheck; the option turns CRL/OCSP checks on.
                    handler.SslOptions.CertificateRevocationCheckMode = options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
                }

                return handler;
            });
        services.TryAddTransient<ISharedRecordConnector, SharedRecordConnector>();
        return services;
    }
}
