namespace FhirCoordGateway.Core.Search;

/// <summary>
/// A parsed FHIR search: one plain record that the SQL builder (and, later, subscription matching) reads.
/// Criteria are ANDed; the values inside one criterion are ORed.
/// </summary>
public sealed record SearchQuery(string ResourceType, IReadOnlyList<SearchCriterion> Criteria)
{
    public bool IsEmpty => Criteria.Count == 0;
}

public abstract record SearchCriterion(string Parameter);

/// <summary><c>_id=a,b</c>: the logical id is one of <see cref="Ids"/>.</summary>
public sealed record IdCriterion(IReadOnlyList<string> Ids) : SearchCriterion("_id");

/// <summary>A token parameter such as <c>identifier=system|value</c>.</summary>
public sealed record TokenCriterion(string Parameter, IReadOnlyList<TokenValue> Values) : SearchCriterion(Parameter);

/// <summary>
/// One token value: <c>system|code</c> (both), <c>|code</c> (no system: <see cref="NoSystem"/>), <c>code</c>
/// (any system) or <c>system|</c> (any code). https://hl7.org/fhir/R4/search.html#token
/// </summary>
public sealed record TokenValue(string? System, string? Code, bool NoSystem)
{
    public static TokenValue Parse(string text)
    {
        var bar = SearchValues.IndexOfUnescaped(text, '|');
        if (bar < 0)
        {
            return new TokenValue(null, SearchValues.Unescape(text), false);
        }

        var system = SearchValues.Unescape(text[..bar]);
        var code = SearchValues.Unescape(text[(bar + 1)..]);
        return new TokenValue(
            system.Length == 0 ? null : system,
            code.Length == 0 ? null : code,
            NoSystem: system.Length == 0);
    }
}

/// <summary>A deterministic text for a query, used as the lock key of conditional interactions.</summary>
public static class SearchQueryKey
{
    public static string Of(SearchQuery query)
    {
        var parts = query.Criteria.Select(c => c switch
        {
            IdCriterion id => "_id=" + string.Join(',', id.Ids.Order(StringComparer.Ordinal)),
            TokenCriterion t => t.Parameter + "=" + string.Join(',', t.Values.Select(v => $"{v.System}|{v.Code}|{v.NoSystem}").Order(StringComparer.Ordinal)),
            _ => c.ToString(),
        }).Order(StringComparer.Ordinal);
        return query.ResourceType + "?" + string.Join('&', parts);
    }
}
