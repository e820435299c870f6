using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// SQL of number criteria on <c>sp_number</c> [lo, hi]: eq within the value's precision range, the other
/// prefixes against the value itself, ap within ±10 %. https://hl7.org/fhir/R4/search.html#prefix
/// </summary>
internal static class NumberSql
{
    public static string Emit(NumberCriterion n, int[] sp, string alias, SqlParams p) =>
        $"{alias}.res_id IN (SELECT x.res_id FROM sp_number x WHERE x.sp_id = ANY({p.Add(sp)}) AND {SearchSqlBuilder.Or(n.Values.Select(v => Condition(v, "x.lo", "x.hi", p)))})";

    public static string Condition(NumberValue v, string lo, string hi, SqlParams p)
    {
        switch (v.Prefix)
        {
            case Prefix.Eq:
                return $"{lo} >= {p.Add(v.Low)} AND {hi} < {p.Add(v.High)}";
            case Prefix.Ne:
                return $"NOT ({lo} >= {p.Add(v.Low)} AND {hi} < {p.Add(v.High)})";
            case Prefix.Gt:
                return $"{hi} > {p.Add(v.Value)}";
            case Prefix.Lt:
                return $"{lo} < {p.Add(v.Value)}";
            case Prefix.Ge:
                return $"{hi} >= {p.Add(v.Value)}";
            case Prefix.Le:
                return $"{lo} <= {p.Add(v.Value)}";
            case Prefix.Sa:
                return $"{lo} > {p.Add(v.Value)}";
            case Prefix.Eb:
                return $"{hi} < {p.Add(v.Value)}";
            default:
                var delta = Math.Abs(v.Value) * 0.1m;
                return $"{lo} <= {p.Add(v.Value + delta)} AND {hi} >= {p.Add(v.Value - delta)}";
        }
    }
}
