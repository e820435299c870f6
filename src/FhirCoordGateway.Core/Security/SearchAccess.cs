using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// Confines a parsed search to what the caller may search: every searched, chained, <c>_has</c> and explicitly
/// included type needs the <c>s</c> permission (403 otherwise), a system search without <c>_type</c> is narrowed
/// to the granted types, and a <c>patient/</c> grant adds the launch patient's compartment to the criteria.
/// Results are also checked one by one afterwards (<see cref="ResourceVisibility"/>), includes included.
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

        foreach (var type in types.Concat(Referenced(query)).Distinct())
        {
            SmartAuthorizer.Require(access.Level(type, ScopePermissions.Search) != AccessLevel.Denied,
                $"searching {type} needs a scope granting 's' on {type}");
        }

        return access.Level(types, ScopePermissions.Search) == AccessLevel.Compartment
            ? query with { Criteria = [.. query.Criteria, new CompartmentCriterion("Patient", access.Patient!)] }
            : query;
    }

    /// <summary>Types a query reaches besides its own: chain targets, <c>_has</c> sources, named include targets and revinclude sources.</summary>
    private static IEnumerable<string> Referenced(SearchQuery query) =>
        query.Criteria.SelectMany(Referenced)
            .Concat(query.Includes.Select(i => i.TargetType).OfType<string>())
            .Concat(query.RevIncludes.Select(i => i.SourceType));

    private static IEnumerable<string> Referenced(SearchCriterion criterion) => criterion switch
    {
        ChainCriterion chain => chain.TargetTypes.Concat(Referenced(chain.Inner)),
        HasCriterion has => Referenced(has.Inner).Append(has.SourceType),
        _ => [],
    };
}
