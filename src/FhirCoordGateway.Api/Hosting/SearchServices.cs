using FhirCoordGateway.Api.Validation;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;
using FhirCoordGateway.Core.Search.Reindex;
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
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<ICapabilityContributor, SearchCapabilities>();
        services.AddSingleton<IReindexStore, PostgresReindexStore>();
        services.AddSingleton<ReindexJob>();
        services.AddHostedService<ReindexHostedService>();
    }
}
