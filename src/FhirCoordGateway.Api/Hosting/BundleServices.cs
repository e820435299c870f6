using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Documents;
using FhirCoordGateway.Core.Patch;
using FhirCoordGateway.Core.Transactions;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>Services of batch/transaction, PATCH and document ingestion (issue 5).</summary>
public static class BundleServices
{
    public static void AddFhirBundles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BundleOptions>().Bind(configuration.GetSection(BundleOptions.Section))
            .Validate(o => o.MaxEntries >= 1 && o.MaxSearchResults >= 1, "Fhir:Bundles limits must be at least 1.").ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<BundleOptions>>().Value);
        services.AddSingleton<PatchHandler>();
        services.AddSingleton<BundleHandler>();
        services.AddSingleton<ICapabilityContributor, BundleCapabilities>();
        services.AddSingleton<InsPatientMatcher>();
        services.AddSingleton<DocumentReplacement>();
        services.AddSingleton<MhdDocumentRecipient>();
        services.AddSingleton<DocumentBundleIngestion>();
    }
}
