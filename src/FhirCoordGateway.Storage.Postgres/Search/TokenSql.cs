using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>SQL of token criteria on <c>sp_token</c>: each value form maps to one hashed key column.</summary>
internal static class TokenSql
{
    public static string Emit(TokenCriterion t, int[] sp, string alias, SqlParams p)
    {
        var sv = new List<long>();
        var v = new List<long>();
        var s = new List<long>();
        foreach (var id in sp)
        {
            foreach (var value in t.Values)
            {
                if (value.Code is not null && (value.System is not null || value.NoSystem))
                {
                    sv.Add(SearchKeys.Hash(id, value.System ?? "", value.Code));
                }
                else if (value.Code is not null)
                {
                    v.Add(SearchKeys.Hash(id, value.Code));
                }
                else if (value.System is not null)
                {
                    s.Add(SearchKeys.Hash(id, value.System));
                }
            }
        }

        var conditions = new List<string>();
        if (sv.Count > 0)
        {
            conditions.Add(KeyEquals("x.h_sv", sv, p));
        }

        if (v.Count > 0)
        {
            conditions.Add(KeyEquals("x.h_v", v, p));
        }

        if (s.Count > 0)
        {
            conditions.Add(KeyEquals("x.h_s", s, p));
        }

        var match = SearchSqlBuilder.Or(conditions);
        // :not and :not-in also keep resources without the parameter (https://hl7.org/fhir/R4/search.html#modifiers).
        return t.Negated
            ? $"NOT EXISTS (SELECT 1 FROM sp_token x WHERE x.res_id = {alias}.res_id AND {match})"
            : $"{alias}.res_id IN (SELECT x.res_id FROM sp_token x WHERE {match})";
    }

    /// <summary>
    /// One value is a plain <c>=</c>: a generic plan then knows it selects a few rows, whereas <c>= ANY($array)</c>
    /// of unknown length gets a merge-join generic plan 10–50 times slower (docs/BENCHMARKS.md, Search).
    /// </summary>
    private static string KeyEquals(string column, List<long> values, SqlParams p) =>
        values.Count == 1 ? $"{column} = {p.Add(values[0])}" : $"{column} = ANY({p.Add(values.ToArray())})";
}
