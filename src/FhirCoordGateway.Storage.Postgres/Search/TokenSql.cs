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
            conditions.Add($"x.h_sv = ANY({p.Add(sv.ToArray())})");
        }

        if (v.Count > 0)
        {
            conditions.Add($"x.h_v = ANY({p.Add(v.ToArray())})");
        }

        if (s.Count > 0)
        {
            conditions.Add($"x.h_s = ANY({p.Add(s.ToArray())})");
        }

        var match = SearchSqlBuilder.Or(conditions);
        // :not and :not-in also keep resources without the parameter (https://hl7.org/fhir/R4/search.html#modifiers).
        return t.Negated
            ? $"NOT EXISTS (SELECT 1 FROM sp_token x WHERE x.res_id = {alias}.res_id AND {match})"
            : $"{alias}.res_id IN (SELECT x.res_id FROM sp_token x WHERE {match})";
    }
}
