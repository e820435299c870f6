using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Port to the search index: pages of matches in keyset order, totals and includes. The store computes the
/// page of ids first and reads bodies only for them. https://hl7.org/fhir/R4/search.html
/// </summary>
public interface ISearchStore
{
    Task<SearchPage> SearchAsync(SearchQuery query, SearchPaging paging, CancellationToken ct);
}

/// <summary>
/// What page to read: <paramref name="Count"/> matches after <paramref name="After"/> (null for the first page),
/// the total mode, and the include cap.
/// </summary>
public sealed record SearchPaging(int Count, PageCursor? After, TotalMode Total, int MaxIncludes, int CountTimeoutMs = 5000);

/// <summary>The position after the last match of a page: its sort values (as text) and its storage id.</summary>
public sealed record PageCursor(IReadOnlyList<string?> SortValues, long ResId);

/// <param name="Next">Where the next page starts, null on the last page.</param>
/// <param name="Total">The total when asked for or free; <paramref name="TotalIsEstimate"/> when it is the planner's estimate.</param>
/// <param name="Included">Resources added by _include/_revinclude (deduplicated, not among the matches).</param>
/// <param name="IncludesCapped">True when includes were cut at the cap.</param>
public sealed record SearchPage(
    IReadOnlyList<StoredResource> Matches,
    PageCursor? Next,
    long? Total,
    bool TotalIsEstimate,
    IReadOnlyList<StoredResource> Included,
    bool IncludesCapped);
