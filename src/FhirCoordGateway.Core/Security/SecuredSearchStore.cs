using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// The search store as the request's caller may use it (<see cref="SearchAccess"/>): restricted query,
/// then every match and include checked by <see cref="ResourceVisibility"/>. Outside requests it passes through.
/// </summary>
public sealed class SecuredSearchStore(ISearchStore inner, RequestSecurityAccessor accessor, ResourceVisibility visibility) : ISearchStore
{
    public async Task<SearchPage> SearchAsync(SearchQuery query, SearchPaging paging, CancellationToken ct)
    {
        if (accessor.Current is not { } security)
        {
            return await inner.SearchAsync(query, paging, ct);
        }

        var page = await inner.SearchAsync(SearchAccess.Restrict(query, security.Access), paging, ct);
        return page with { Matches = visibility.Filter(security, page.Matches), Included = visibility.Filter(security, page.Included) };
    }
}
