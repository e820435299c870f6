using FhirCoordGateway.Api.Validation;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;
using FhirCoordGateway.Core.Search.Reindex;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Search;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>
/// Search wiring: options (<c>Fhir:Search</c>), the parameter catalog with the profiles' SearchParameters, ValueSets
/// for <c>:in</c> (the validator's terminology), the indexer, parser and CapabilityStatement contribution.
/// </summary>
public static class SearchServices
{
    public static void AddSearch(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var options = builder.Configuration.GetSection("Fhir:Search").Get<SearchOptions>() ?? new SearchOptions();
        services.AddSingleton(options);
        services.AddSingleton(sp => SearchProfiles.Load(ProfilesFolder.Find(builder.Configuration, builder.Environment)));
        services.AddSingleton(sp => new SearchParameterCatalog(sp.GetRequiredService<SearchProfiles>().SearchParameters));
        services.AddSingleton<ILocalValueSets, RegistryValueSets>();
        services.AddSingleton<SearchQueryParser>();
        services.AddSingleton<ISearchRestrictionSource, NoSearchRestriction>();
        services.AddSingleton<SearchParameterCatalogUpdater>();
        services.AddSingleton<ICommittedWritesObserver>(sp => sp.GetRequiredService<SearchParameterCatalogUpdater>());
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<ICapabilityContributor, SearchCapabilities>();
        services.AddSingleton<IReindexStore, PostgresReindexStore>();
        services.AddSingleton<ReindexJob>();
        services.AddHostedService<ReindexHostedService>();
    }

    /// <summary>Adds the SearchParameters stored through the API to the catalog (at start-up, before serving).</summary>
    public static async Task LoadStoredSearchParametersAsync(this WebApplication app, CancellationToken ct)
    {
        var stored = await app.Services.GetRequiredService<IResourceStore>().SearchAsync(new SearchQuery("SearchParameter", []), 100_000, ct);
        app.Services.GetRequiredService<SearchParameterCatalogUpdater>().Load(stored);
    }
}
