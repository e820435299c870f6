using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// SQL of string criteria on <c>sp_string</c>: starts-with as an explicit range on the folded value (so a
/// generic plan still uses the index), <c>:exact</c> on the hash of the value as written, <c>:contains</c> as LIKE.
/// </summary>
internal static class StringSql
{
    public static string Emit(StringCriterion s, IReadOnlyList<int> sp, string alias, SqlParams p)
    {
        string condition;
        switch (s.Match)
        {
            case StringMatch.Exact:
                var hashes = sp.SelectMany(id => s.Values.Select(v => SearchKeys.Hash(id, v))).ToArray();
                condition = $"x.h_exact = ANY({p.Add(hashes)})";
                break;
            case StringMatch.Contains:
                var patterns = s.Values.Select(v => (string?)("%" + SearchSqlBuilder.EscapeLike(StringFold.Fold(v)) + "%")).ToArray();
                condition = $"x.sp_id = ANY({p.Add(sp.ToArray())}) AND x.norm LIKE ANY({p.Add(patterns)})";
                break;
            default:
                var spParam = sp.Count == 1 ? p.Add(sp[0]) : null;
                var spArray = sp.Count == 1 ? null : p.Add(sp.ToArray());
                condition = SearchSqlBuilder.Or(s.Values.Select(v =>
                {
                    var folded = StringFold.Fold(v);
                    var spCondition = spParam is not null ? $"x.sp_id = {spParam}" : $"x.sp_id = ANY({spArray})";
                    return $"{spCondition} AND x.norm >= {p.Add(folded)} AND x.norm < {p.Add(SearchSqlBuilder.PrefixEnd(folded))}";
                }));
                break;
        }

        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_string x WHERE {condition})";
    }
}
