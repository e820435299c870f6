using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// Confines a parsed search to what the caller may search: every searched, chained, <c>_has</c> and explicitly
/// included type needs the <c>s</c> permission (403 otherwise), a system search without <c>_type</c> is narrowed
/// to the granted types, and the caller's <see cref="SearchRestriction"/> (granted types only, the launch patient's
/// compartment for <c>patient/</c> grants, no document hidden from the caller's role) is attached, which the store
/// applies to matches, includes, chains, <c>_has</c> and totals. Results are also checked one by one afterwards
/// (<see cref="ResourceVisibility.Filter"/>) as a second line.
/// </summary>
public static class SearchAccess
{
    public static SearchQuery Restrict(SearchQuery query, RequestAccess access)
    {
        var explicitTypes = query.Types.Count == 1 || query.Understood.Any(p => p.Key == "_type");
        var types = query.Types;
        if (!explicitTypes)
        {
            types = [.. types.Where(t => access.Level(t, ScopePermissions.Search) != AccessLevel.Denied)];
            SmartAuthorizer.Require(types.Count > 0, "the token grants search on no resource type");
            query = query with { Types = types };
        }

        foreach (var reached in types.Select(t => new[] { t }).Concat(Referenced(query)))
        {
            // A chain may go to several types; the restriction hides those not granted, one granted is enough.
            SmartAuthorizer.Require(reached.Any(type => access.Level(type, ScopePermissions.Search) != AccessLevel.Denied),
                $"searching {string.Join(" or ", reached)} needs a scope granting 's' on it");
        }

        // The search endpoints attach the same restriction (ISearchRestrictionSource); other paths get it here.
        return query with { Restriction = query.Restriction ?? RestrictionFor(access) };
    }

    /// <summary>
    /// What <paramref name="access"/> may find, as a <see cref="SearchRestriction"/>; null when it may find everything
    /// its wildcard covers (all but AuditEvent, which the per-result check then removes).
    /// </summary>
    public static SearchRestriction? RestrictionFor(RequestAccess access)
    {
        var hidden = ResourceVisibility.HiddenLabels(access.Role);
        var wildcard = access.Scopes.Any(s => s.ResourceType == SmartScope.AnyType && s.Context != ScopeContext.Patient && s.Permissions.HasFlag(ScopePermissions.Search));
        if (wildcard && hidden.Count == 0 && !access.Scopes.Any(s => s.Context == ScopeContext.Patient))
        {
            return null;
        }

        IReadOnlyList<SearchCriterion> compartment = access.Patient is { } patient ? [new CompartmentCriterion("Patient", patient)] : [];
        IReadOnlyList<SearchCriterion> labels = [.. hidden.Select(label => NotLabelled("_security", label))];
        var documentLabels = DocumentLabels(access, hidden);
        var byType = new Dictionary<string, IReadOnlyList<SearchCriterion>>(StringComparer.Ordinal);
        foreach (var type in Interactions.ResourceTypes.All)
        {
            var level = access.Level(type, ScopePermissions.Search);
            if (level != AccessLevel.Denied)
            {
                IReadOnlyList<SearchCriterion> own = level == AccessLevel.Compartment ? compartment : [];
                byType[type] = type == "DocumentReference" ? [.. own, .. documentLabels] : [.. own, .. labels];
            }
        }

        return new SearchRestriction(byType, OtherTypesAllowed: false);
    }

    /// <summary>
    /// A DocumentReference is hidden by a label in <c>meta.security</c> or <c>securityLabel</c>; a professional's own
    /// documents (author = the token's fhirUser) stay visible to them despite <c>MASQUE_PS</c> (ADR 0012).
    /// </summary>
    private static IReadOnlyList<SearchCriterion> DocumentLabels(RequestAccess access, IReadOnlyList<string> hidden)
    {
        IReadOnlyList<SearchCriterion> notLabelled =
            [.. hidden.SelectMany(label => new[] { NotLabelled("_security", label), NotLabelled("security-label", label) })];
        if (access.Role != CallerRole.Professional || notLabelled.Count == 0 || access.FhirUserReference is not { } user)
        {
            return notLabelled;
        }

        IReadOnlyList<SearchCriterion> authored = [new ReferenceCriterion("author", [new ReferenceValue(user.TargetType, user.TargetId, user.Url)])];
        return [new AnyOfCriterion([notLabelled, authored])];
    }

    private static TokenCriterion NotLabelled(string parameter, string code) =>
        new(parameter, [new TokenValue(ResourceVisibility.VisibilitySystem, code, NoSystem: false)]) { Modifier = TokenModifier.Not };

    /// <summary>Types a query reaches besides its own: chain targets, <c>_has</c> sources, named include targets and revinclude sources.</summary>
    private static IEnumerable<IReadOnlyList<string>> Referenced(SearchQuery query) =>
        query.Criteria.SelectMany(Referenced)
            .Concat(query.Includes.Select(i => i.TargetType).OfType<string>().Select(t => new[] { t }))
            .Concat(query.RevIncludes.Select(i => new[] { i.SourceType }));

    private static IEnumerable<IReadOnlyList<string>> Referenced(SearchCriterion criterion) => criterion switch
    {
        ChainCriterion chain => Referenced(chain.Inner).Prepend(chain.TargetTypes),
        HasCriterion has => Referenced(has.Inner).Prepend(new[] { has.SourceType }),
        _ => [],
    };
}
