using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// SQL of date criteria on <c>sp_date</c> ranges [lo, hi] against the search range [ps, pe] (as fhir-server):
/// eq lo≥ps∧hi≤pe, ne its negation, gt hi&gt;pe, lt lo&lt;ps, ge hi≥ps, le lo≤pe, sa lo&gt;pe, eb hi&lt;ps,
/// ap overlap of the range widened by 10 % of its distance to now.
/// </summary>
internal static class DateSql
{
    public static string Emit(DateCriterion d, int[] sp, string alias, SqlParams p)
    {
        var condition = SearchSqlBuilder.Or(d.Values.Select(v => Condition(v, "x.lo", "x.hi", p)));
        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_date x WHERE x.sp_id = ANY({p.Add(sp)}) AND {condition})";
    }

    /// <summary><c>_lastUpdated</c> is the resource row's own column: an instant, so lo = hi.</summary>
    public static string LastUpdated(DateCriterion d, string alias, SqlParams p) =>
        SearchSqlBuilder.Or(d.Values.Select(v => Condition(v, alias + ".last_updated", alias + ".last_updated", p)));

    public static string Condition(DateValue v, string lo, string hi, SqlParams p)
    {
        string Ps() => p.Add(v.Low);
        string Pe() => p.Add(v.High);
        switch (v.Prefix)
        {
            case Prefix.Eq:
                return $"{lo} >= {Ps()} AND {hi} <= {Pe()}";
            case Prefix.Ne:
                return $"NOT ({lo} >= {Ps()} AND {hi} <= {Pe()})";
            case Prefix.Gt:
                return $"{hi} > {Pe()}";
            case Prefix.Lt:
                return $"{lo} < {Ps()}";
            case Prefix.Ge:
                return $"{hi} >= {Ps()}";
            case Prefix.Le:
                return $"{lo} <= {Pe()}";
            case Prefix.Sa:
                return $"{lo} > {Pe()}";
            case Prefix.Eb:
                return $"{hi} < {Ps()}";
            default:
                var now = DateTimeOffset.UtcNow;
                var widen = TimeSpan.FromTicks((long)(Math.Abs((now - v.Low).Ticks) * 0.1));
                var start = v.Low - widen;
                var end = v.High + widen;
                return $"{lo} <= {p.Add(end)} AND {hi} >= {p.Add(start)}";
        }
    }
}
