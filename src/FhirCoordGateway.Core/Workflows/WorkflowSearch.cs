using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// Server-side searches of the workflow jobs and reports: parsed strictly (a typo is a bug, not an ignored
/// parameter), unrestricted (these run for the gateway itself, not for a caller), read page by page.
/// </summary>
public sealed class WorkflowSearch(ISearchStore search, SearchQueryParser parser)
{
    private const int PageSize = 500;

    public SearchQuery Query(string resourceType, params (string Name, string Value)[] parameters) =>
        parser.Parse(resourceType, parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)), strict: true);

    /// <summary>Every current match, in pages of <see cref="PageSize"/>.</summary>
    public async IAsyncEnumerable<StoredResource> AllAsync(SearchQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        PageCursor? after = null;
        do
        {
            var page = await search.SearchAsync(query, new SearchPaging(PageSize, after, TotalMode.None, 0), ct);
            foreach (var match in page.Matches)
            {
                yield return match;
            }

            after = page.Next;
        }
        while (after is not null);
    }

    /// <summary>The exact number of current matches.</summary>
    public async Task<long> CountAsync(SearchQuery query, CancellationToken ct) =>
        (await search.SearchAsync(query, new SearchPaging(0, null, TotalMode.Accurate, 0), ct)).Total ?? 0;
}
