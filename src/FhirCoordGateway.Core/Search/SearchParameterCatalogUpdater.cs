using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Keeps the search catalog in step with the SearchParameters written through the API: once a write commits,
/// searches and writes that start afterwards use the new definition (no restart). A deletion or a
/// <c>retired</c> status removes it. Resources stored before it need <c>$reindex</c>, as the write's outcome says.
/// </summary>
public sealed class SearchParameterCatalogUpdater(SearchParameterCatalog catalog, ILogger<SearchParameterCatalogUpdater> logger) : ICommittedWritesObserver
{
    public void OnCommitted(IReadOnlyList<NewVersion> versions)
    {
        foreach (var version in versions.Where(v => v.ResourceType == "SearchParameter"))
        {
            Apply($"SearchParameter/{version.Id}", version.Json is null ? null : (SearchParameter)ResourceJson.Parse(version.Json));
            logger.LogInformation("Search catalog updated from SearchParameter/{ResourceId} version {VersionId}", version.Id, version.Version);
        }
    }

    /// <summary>Loads the stored SearchParameters at start-up (after profiles/: stored versions are newer).</summary>
    public void Load(IEnumerable<StoredResource> stored)
    {
        foreach (var resource in stored.Where(s => s.Json is not null))
        {
            Apply($"SearchParameter/{resource.Id}", (SearchParameter)ResourceJson.Parse(resource.Json!));
        }
    }

    private void Apply(string key, SearchParameter? parameter)
    {
        if (parameter is null || parameter.Status == PublicationStatus.Retired)
        {
            catalog.Remove(key);
        }
        else
        {
            catalog.AddOrReplace(key, parameter);
        }
    }
}
