using System.Security.Claims;
using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Security;

/// <summary>The search endpoints' restriction: the current request's access, as <see cref="SearchAccess"/> builds it.</summary>
public sealed class SmartSearchRestrictionSource(RequestSecurityAccessor accessor) : ISearchRestrictionSource
{
    public ValueTask<SearchRestriction?> ForAsync(ClaimsPrincipal user, CancellationToken ct) =>
        ValueTask.FromResult(accessor.Current is { } security ? SearchAccess.RestrictionFor(security.Access) : null);
}
