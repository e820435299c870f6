using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>SQL of composite criteria on <c>sp_composite</c>: both components on the same row.</summary>
internal static class CompositeSql
{
    public static string Emit(CompositeCriterion c, int[] sp, string alias, SqlParams p)
    {
        var conditions = new List<string>();
        foreach (var id in sp)
        {
            foreach (var v in c.Values)
            {
                var first = v.First switch
                {
                    { Code: { } code, System: var system, NoSystem: var none } when system is not null || none =>
                        $"x.k1sv = {p.Add(SearchKeys.Hash(id, system ?? "", code))}",
                    { Code: { } code } => $"x.k1v = {p.Add(SearchKeys.Hash(id, code))}",
                    _ => "false",
                };
                var second = v switch
                {
                    { SecondToken: { Code: { } code } t } when t.System is not null || t.NoSystem => $"x.k2sv = {p.Add(SearchKeys.Hash(id, "2" + (t.System ?? ""), code))}",
                    { SecondToken: { Code: { } code } } => $"x.k2v = {p.Add(SearchKeys.Hash(id, "2", code))}",
                    { SecondNumber: { } n } => NumberSql.Condition(n, "x.lo", "x.hi", p),
                    { SecondDate: { } d } => DateSql.Condition(d, "x.dlo", "x.dhi", p),
                    { SecondString: { } s } => $"x.k2v = {p.Add(SearchKeys.Hash(id, "2", s))}",
                    _ => "false",
                };
                conditions.Add($"x.sp_id = {p.Add(id)} AND {first} AND {second}");
            }
        }

        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_composite x WHERE {SearchSqlBuilder.Or(conditions)})";
    }
}
