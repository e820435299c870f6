using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Evaluates a <see cref="SearchQuery"/> against one resource in memory, from the index rows
/// <see cref="SearchIndexer"/> extracts from it: the same values and the same rules as the SQL emitters, so a
/// Subscription's criteria (issue 7) match at write time exactly what a search would return, the query's
/// <see cref="SearchRestriction"/> included. Criteria that need other resources (chains, <c>_has</c>) and
/// composites answer null: the caller asks the store.
/// https://hl7.org/fhir/R4/subscription.html#criteria
/// </summary>
public sealed class SearchMatcher(SearchIndexer indexer, TimeProvider? clock = null)
{
    /// <returns>True or false, or null when a criterion cannot be decided from the resource alone.</returns>
    public bool? Matches(SearchQuery query, Resource resource) => Matches(query, resource, indexer.ExtractAlways(resource));

    /// <summary>As <see cref="Matches(SearchQuery, Resource)"/>, with the resource's index rows already extracted (many queries, one resource).</summary>
    public bool? Matches(SearchQuery query, Resource resource, SearchIndexRows rows)
    {
        if (!query.Types.Contains(resource.TypeName) || query.Restriction?.Allows(resource.TypeName) == false)
        {
            return false;
        }

        var undecided = false;
        foreach (var criterion in query.Criteria.Concat(query.Restriction?.CriteriaFor(resource.TypeName) ?? []))
        {
            switch (Match(criterion, resource, rows))
            {
                case false:
                    return false;
                case null:
                    undecided = true;
                    break;
            }
        }

        return undecided ? null : true;
    }

    private bool? Match(SearchCriterion criterion, Resource resource, SearchIndexRows rows) => criterion switch
    {
        IdCriterion id => id.Ids.Contains(resource.Id),
        DateCriterion { Parameter: "_lastUpdated" } d => resource.Meta?.LastUpdated is { } t && d.Values.Any(v => Date(v, t, t)),
        TokenCriterion t => t.Negated ? !Token(t, rows) : Token(t, rows),
        StringCriterion s => rows.Strings.Any(r => r.Parameter == s.Parameter && s.Values.Any(v => String(s.Match, r.Value, v))),
        DateCriterion d => rows.Dates.Any(r => r.Parameter == d.Parameter && d.Values.Any(v => Date(v, r.Low, r.High))),
        NumberCriterion n => rows.Numbers.Any(r => r.Parameter == n.Parameter && n.Values.Any(v => Number(v, r.Low, r.High))),
        QuantityCriterion q => rows.Quantities.Any(r => r.Parameter == q.Parameter && q.Values.Any(v =>
            Number(v.Number, r.Low ?? decimal.MinValue, r.High ?? decimal.MaxValue)
            && (v.Code is null || (v.System is not null ? r.System == v.System && r.Code == v.Code : r.Code == v.Code || r.Unit == v.Code)))),
        UriCriterion u => rows.Uris.Any(r => r.Parameter == u.Parameter && u.Values.Any(v => u.Match switch
        {
            UriMatch.Below => r.Uri.StartsWith(v, StringComparison.Ordinal),
            UriMatch.Above => v.StartsWith(r.Uri, StringComparison.Ordinal),
            _ => r.Uri == v,
        })),
        ReferenceCriterion r => rows.References.Any(x => x.Parameter == r.Parameter && r.Values.Any(v => v switch
        {
            { Url: { } url } => x.Url == url,
            { Type: { } type, Id: { } id } => x.TargetType == type && x.TargetId == id,
            { Id: { } id } => x.TargetId == id,
            _ => false,
        })),
        MissingCriterion m => Present(m, rows) != m.Missing,
        CompartmentCriterion cp => InCompartment(cp, resource, rows),
        AnyOfCriterion any => AnyOf(any, resource, rows),
        _ => null, // chains, _has and composites need the store
    };

    /// <summary>True when one alternative holds entirely, false when each has a failing criterion, else undecided.</summary>
    private bool? AnyOf(AnyOfCriterion any, Resource resource, SearchIndexRows rows)
    {
        var undecided = false;
        foreach (var alternative in any.Alternatives)
        {
            var results = alternative.Select(c => Match(c, resource, rows)).ToList();
            if (results.All(r => r == true))
            {
                return true;
            }

            undecided |= !results.Contains(false);
        }

        return undecided ? null : false;
    }

    /// <summary>The owner itself, or a resource referring to it through one of the compartment's parameters (as the SQL).</summary>
    private static bool InCompartment(CompartmentCriterion cp, Resource resource, SearchIndexRows rows)
    {
        if (resource.TypeName == cp.CompartmentType && (cp.Id is null || resource.Id == cp.Id))
        {
            return true;
        }

        var parameters = CompartmentDefinitions.ParametersOf(cp.CompartmentType, resource.TypeName);
        return rows.References.Any(r => parameters.Contains(r.Parameter) && r.TargetType == cp.CompartmentType && (cp.Id is null || r.TargetId == cp.Id));
    }

    private static bool Token(TokenCriterion t, SearchIndexRows rows) =>
        rows.Tokens.Any(r => r.Parameter == t.IndexParameter && t.Values.Any(v =>
            v.Code is not null && (v.System is not null || v.NoSystem) ? (r.System ?? "") == (v.System ?? "") && r.Code == v.Code
            : v.Code is not null ? r.Code == v.Code
            : v.System is not null && r.System == v.System));

    private static bool String(StringMatch match, string indexed, string value) => match switch
    {
        StringMatch.Exact => indexed == value,
        StringMatch.Contains => StringFold.Fold(indexed).Contains(StringFold.Fold(value), StringComparison.Ordinal),
        _ => StringFold.Fold(indexed).StartsWith(StringFold.Fold(value), StringComparison.Ordinal),
    };

    private bool Date(DateValue v, DateTimeOffset lo, DateTimeOffset hi)
    {
        switch (v.Prefix)
        {
            case Prefix.Eq: return lo >= v.Low && hi <= v.High;
            case Prefix.Ne: return !(lo >= v.Low && hi <= v.High);
            case Prefix.Gt: return hi > v.High;
            case Prefix.Lt: return lo < v.Low;
            case Prefix.Ge: return hi >= v.Low;
            case Prefix.Le: return lo <= v.High;
            case Prefix.Sa: return lo > v.High;
            case Prefix.Eb: return hi < v.Low;
            default:
                var now = (clock ?? TimeProvider.System).GetUtcNow();
                var widen = TimeSpan.FromTicks((long)(Math.Abs((now - v.Low).Ticks) * 0.1));
                return lo <= v.High + widen && hi >= v.Low - widen;
        }
    }

    private static bool Number(NumberValue v, decimal lo, decimal hi)
    {
        var delta = Math.Abs(v.Value) * 0.1m;
        return v.Prefix switch
        {
            Prefix.Eq => lo >= v.Low && hi < v.High,
            Prefix.Ne => !(lo >= v.Low && hi < v.High),
            Prefix.Gt => hi > v.Value,
            Prefix.Lt => lo < v.Value,
            Prefix.Ge => hi >= v.Value,
            Prefix.Le => lo <= v.Value,
            Prefix.Sa => lo > v.Value,
            Prefix.Eb => hi < v.Value,
            _ => lo <= v.Value + delta && hi >= v.Value - delta,
        };
    }

    private static bool Present(MissingCriterion m, SearchIndexRows rows) => m.Kind switch
    {
        SearchParamKind.Token => rows.Tokens.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.String => rows.Strings.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.Date => rows.Dates.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.Number => rows.Numbers.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.Quantity => rows.Quantities.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.Uri => rows.Uris.Any(r => r.Parameter == m.Parameter),
        SearchParamKind.Reference => rows.References.Any(r => r.Parameter == m.Parameter) || rows.Tokens.Any(r => r.Parameter == m.Parameter + ":identifier"),
        _ => rows.Composites.Any(r => r.Parameter == m.Parameter),
    };
}
