using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>Type-level search returning a searchset Bundle. https://hl7.org/fhir/R4/http.html#search</summary>
public sealed class SearchHandler(IResourceStore store, PagingOptions paging)
{
    public async Task<Bundle> HandleAsync(string baseUrl, SearchQuery query, string? count, string selfLink, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(query.ResourceType);
        var pageSize = paging.PageSize(count);
        var matches = await store.SearchAsync(query, pageSize, ct);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = selfLink });
        if (matches.Count < pageSize)
        {
            bundle.Total = matches.Count; // a page that is not full gives the total for free
        }

        foreach (var match in matches)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{match.ResourceType}/{match.Id}",
                Resource = ResourceJson.Parse(match.Json!),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        return bundle;
    }
}
