using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>SQL of quantity criteria on <c>sp_quantity</c>: the number rules, plus <c>system|code</c> or a code/unit.</summary>
internal static class QuantitySql
{
    public static string Emit(QuantityCriterion q, int[] sp, string alias, SqlParams p)
    {
        var conditions = q.Values.Select(v =>
        {
            var number = NumberSql.Condition(v.Number, "coalesce(x.lo, '-Infinity')", "coalesce(x.hi, 'Infinity')", p);
            if (v.Code is null)
            {
                return number;
            }

            var unit = v.System is not null
                ? $"x.h_sc = ANY({p.Add(sp.Select(id => SearchKeys.Hash(id, v.System, v.Code)).ToArray())})"
                : $"(x.h_c = ANY({p.Add(sp.Select(id => SearchKeys.Hash(id, v.Code)).ToArray())}) OR x.h_u = ANY({p.Add(sp.Select(id => SearchKeys.Hash(id, v.Code)).ToArray())}))";
            return number + " AND " + unit;
        });
        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_quantity x WHERE x.sp_id = ANY({p.Add(sp)}) AND {SearchSqlBuilder.Or(conditions)})";
    }
}
