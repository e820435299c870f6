using System.Security.Claims;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// The <see cref="SearchRestriction"/> of a caller, attached by the search endpoints to every search they run
/// (type, system, compartment, <c>$everything</c>). Issue 8's access policy implements it from the token's
/// scopes and claims; null means unrestricted.
/// </summary>
public interface ISearchRestrictionSource
{
    ValueTask<SearchRestriction?> ForAsync(ClaimsPrincipal user, CancellationToken ct);
}

/// <summary>Every caller sees everything: the policy until issue 8's is registered.</summary>
public sealed class NoSearchRestriction : ISearchRestrictionSource
{
    public ValueTask<SearchRestriction?> ForAsync(ClaimsPrincipal user, CancellationToken ct) => ValueTask.FromResult<SearchRestriction?>(null);
}
