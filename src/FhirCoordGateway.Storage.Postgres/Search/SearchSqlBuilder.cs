using System.Text;
using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// Assembles the WHERE of a search over <c>resource</c> rows: the one place where the type filter, the
/// deletion filter, every criterion and the caller's <see cref="SearchRestriction"/> meet. Each criterion
/// becomes a semi-join on one index table, by the emitter of its parameter type (AND = several semi-joins,
/// OR = <c>= ANY</c> arrays inside one). The restriction also reaches the resources behind chains and
/// <c>_has</c>, and <see cref="Restricted"/> gives it to the include queries.
/// </summary>
internal static class SearchSqlBuilder
{
    /// <summary>The WHERE (without the keyword) selecting current, undeleted resources of the query's types that match it.</summary>
    public static string Where(SearchQuery query, string alias, SqlParams p)
    {
        var parts = new List<string> { TypeFilter(query.Types, alias, p), $"NOT {alias}.deleted" };
        foreach (var criterion in query.Criteria)
        {
            parts.Add(Criterion(criterion, query.Types, alias, p, 0, query.Restriction));
        }

        if (query.Restriction is { } restriction)
        {
            parts.Add(Restriction(restriction, query.Types, alias, p));
        }

        return string.Join("\n  AND ", parts);
    }

    /// <summary>
    /// <c>{alias}</c> is one of <paramref name="types"/> and satisfies <paramref name="restriction"/> (when there is
    /// one): for rows found by following references, whose type the query does not fix.
    /// </summary>
    public static string Restricted(SearchRestriction? restriction, IReadOnlyList<string> types, string alias, SqlParams p) =>
        restriction is null ? TypeFilter(types, alias, p) : $"{TypeFilter(types, alias, p)} AND {Restriction(restriction, types, alias, p)}";

    /// <summary>
    /// The restriction over rows already filtered to <paramref name="types"/>: the allowed types grouped by the
    /// criteria they must satisfy (a compartment restriction is one group), one branch per group.
    /// </summary>
    private static string Restriction(SearchRestriction restriction, IReadOnlyList<string> types, string alias, SqlParams p)
    {
        var groups = types.Where(restriction.Allows)
            .GroupBy(t => string.Join('&', restriction.CriteriaFor(t).Select(SearchQueryKey.Of)), StringComparer.Ordinal)
            .Select(g => g.ToList())
            .ToList();
        var branches = groups.Select(g =>
        {
            // The restriction's own criteria are the server's: no restriction inside them.
            var criteria = restriction.CriteriaFor(g[0]).Select(c => Criterion(c, g, alias, p, 0, null)).ToList();
            if (g.Count < types.Count)
            {
                criteria.Insert(0, TypeFilter(g, alias, p));
            }

            return criteria.Count == 0 ? "true" : "(" + string.Join(" AND ", criteria) + ")";
        });
        return Or(branches);
    }

    private static string TypeFilter(IReadOnlyList<string> types, string alias, SqlParams p) =>
        types.Count == 1 ? $"{alias}.res_type = {p.Add(types[0])}" : $"{alias}.res_type = ANY({p.Add(types.ToArray())})";

    public static string Criterion(SearchCriterion criterion, IReadOnlyList<string> types, string alias, SqlParams p, int depth, SearchRestriction? restriction) => criterion switch
    {
        IdCriterion id => $"{alias}.fhir_id = ANY({p.Add(id.Ids.ToArray())})",
        DateCriterion { Parameter: "_lastUpdated" } d => DateSql.LastUpdated(d, alias, p),
        TokenCriterion t => TokenSql.Emit(t, Sp(types, t.IndexParameter), alias, p),
        StringCriterion s => StringSql.Emit(s, SpList(types, s.Parameter), alias, p),
        DateCriterion d => DateSql.Emit(d, Sp(types, d.Parameter), alias, p),
        NumberCriterion n => NumberSql.Emit(n, Sp(types, n.Parameter), alias, p),
        QuantityCriterion q => QuantitySql.Emit(q, Sp(types, q.Parameter), alias, p),
        UriCriterion u => UriSql.Emit(u, Sp(types, u.Parameter), alias, p),
        ReferenceCriterion r => ReferenceSql.Emit(r, Sp(types, r.Parameter), alias, p),
        CompositeCriterion c => CompositeSql.Emit(c, Sp(types, c.Parameter), alias, p),
        MissingCriterion m => Missing(m, types, alias, p),
        ChainCriterion ch => Chain(ch, types, alias, p, depth, restriction),
        HasCriterion h => Has(h, alias, p, depth, restriction),
        CompartmentCriterion cp => Compartment(cp, types, alias, p),
        AnyOfCriterion any => Or(any.Alternatives.Select(a =>
            a.Count == 0 ? "true" : "(" + string.Join(" AND ", a.Select(c => Criterion(c, types, alias, p, depth, restriction))) + ")")),
        _ => throw new NotSupportedException($"Search criterion {criterion.GetType().Name} has no SQL translation."),
    };

    public static int[] Sp(IEnumerable<string> types, string code) => types.Select(t => SearchKeys.ParamId(t, code)).Distinct().ToArray();

    private static List<int> SpList(IEnumerable<string> types, string code) => [.. Sp(types, code)];

    public static string TableOf(SearchParamKind kind) => kind switch
    {
        SearchParamKind.Token => "sp_token",
        SearchParamKind.String => "sp_string",
        SearchParamKind.Date => "sp_date",
        SearchParamKind.Number => "sp_number",
        SearchParamKind.Quantity => "sp_quantity",
        SearchParamKind.Uri => "sp_uri",
        SearchParamKind.Reference => "sp_reference",
        _ => "sp_composite",
    };

    private static string Missing(MissingCriterion m, IReadOnlyList<string> types, string alias, SqlParams p)
    {
        var exists = $"EXISTS (SELECT 1 FROM {TableOf(m.Kind)} x WHERE x.res_id = {alias}.res_id AND x.sp_id = ANY({p.Add(Sp(types, m.Parameter))}))";
        if (m.Kind == SearchParamKind.Reference)
        {
            // A reference given only by identifier has a value too (its rows are the synthetic param:identifier tokens).
            exists = $"({exists} OR EXISTS (SELECT 1 FROM sp_token x WHERE x.res_id = {alias}.res_id AND x.sp_id = ANY({p.Add(Sp(types, m.Parameter + ":identifier"))})))";
        }

        return m.Missing ? "NOT " + exists : exists;
    }

    /// <summary>The target is resolved inner-first: its ids come from its own criteria, then an integer join on target_res_id.</summary>
    private static string Chain(ChainCriterion ch, IReadOnlyList<string> types, string alias, SqlParams p, int depth, SearchRestriction? restriction)
    {
        var t = "t" + depth;
        var inner = Criterion(ch.Inner, ch.TargetTypes, t, p, depth + 1, restriction);
        var typeFilter = Restricted(restriction, ch.TargetTypes, t, p);
        return $"""
            {alias}.res_id IN (SELECT x{depth}.res_id FROM sp_reference x{depth} JOIN resource {t} ON {t}.res_id = x{depth}.target_res_id
              WHERE x{depth}.sp_id = ANY({p.Add(Sp(types, ch.Parameter))}) AND {typeFilter} AND NOT {t}.deleted AND {inner})
            """;
    }

    private static string Has(HasCriterion h, string alias, SqlParams p, int depth, SearchRestriction? restriction)
    {
        var s = "s" + depth;
        var inner = Criterion(h.Inner, [h.SourceType], s, p, depth + 1, restriction);
        return $"""
            {alias}.res_id IN (SELECT y{depth}.target_res_id FROM sp_reference y{depth} JOIN resource {s} ON {s}.res_id = y{depth}.res_id
              WHERE y{depth}.sp_id = {p.Add(SearchKeys.ParamId(h.SourceType, h.ReferenceParameter))} AND {Restricted(restriction, [h.SourceType], s, p)}
                AND NOT {s}.deleted AND {inner})
            """;
    }

    private static string Compartment(CompartmentCriterion cp, IReadOnlyList<string> types, string alias, SqlParams p)
    {
        var sp = types.SelectMany(t => CompartmentDefinitions.ParametersOf(cp.CompartmentType, t).Select(code => SearchKeys.ParamId(t, code))).Distinct().ToArray();
        var type = p.Add(cp.CompartmentType);
        if (cp.Id is null)
        {
            // Any owner's compartment: every owner is in its own, other types need one reference to some owner.
            var anyOwner = types.Contains(cp.CompartmentType) ? $" OR {alias}.res_type = {type}" : "";
            return $"""
                (EXISTS (SELECT 1 FROM sp_reference WHERE res_id = {alias}.res_id AND sp_id = ANY({p.Add(sp)}) AND target_type = {type}){anyOwner})
                """;
        }

        var id = p.Add(cp.Id);
        var owner = types.Contains(cp.CompartmentType) ? $" OR ({alias}.res_type = {type} AND {alias}.fhir_id = {id})" : "";
        return $"""
            ({alias}.res_id IN (SELECT res_id FROM sp_reference WHERE target_id = {id} AND target_type = {type} AND sp_id = ANY({p.Add(sp)})){owner})
            """;
    }

    /// <summary>ORs conditions; an empty list matches nothing.</summary>
    public static string Or(IEnumerable<string> conditions)
    {
        var list = conditions.ToList();
        return list.Count switch
        {
            0 => "false",
            1 => list[0],
            _ => "(" + string.Join(" OR ", list.Select(c => "(" + c + ")")) + ")",
        };
    }

    /// <summary>The exclusive upper bound of strings starting with <paramref name="prefix"/> under the "C" collation.</summary>
    public static string PrefixEnd(string prefix) => prefix + char.ConvertFromUtf32(0x10FFFF);

    public static string EscapeLike(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c is '%' or '_' or '\\')
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
