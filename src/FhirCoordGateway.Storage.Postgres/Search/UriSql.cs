using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>SQL of uri criteria on <c>sp_uri</c>: equality, <c>:below</c> as a prefix range, <c>:above</c> as the value's path prefixes.</summary>
internal static class UriSql
{
    public static string Emit(UriCriterion u, int[] sp, string alias, SqlParams p)
    {
        var spParam = p.Add(sp);
        string condition;
        switch (u.Match)
        {
            case UriMatch.Below:
                condition = SearchSqlBuilder.Or(u.Values.Select(v => $"x.uri >= {p.Add(v)} AND x.uri < {p.Add(SearchSqlBuilder.PrefixEnd(v))}"));
                break;
            case UriMatch.Above:
                condition = $"x.uri = ANY({p.Add(u.Values.SelectMany(Above).Distinct().Select(s => (string?)s).ToArray())})";
                break;
            default:
                condition = $"x.uri = ANY({p.Add(u.Values.Select(s => (string?)s).ToArray())})";
                break;
        }

        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_uri x WHERE x.sp_id = ANY({spParam}) AND ({condition}))";
    }

    /// <summary><c>http://a/b/c</c> → itself, <c>http://a/b</c>, <c>http://a</c>: the uris the value is below.</summary>
    private static IEnumerable<string> Above(string value)
    {
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? 0 : scheme + 3;
        yield return value;
        for (var i = value.Length - 1; i > start; i--)
        {
            if (value[i] == '/')
            {
                yield return value[..i];
            }
        }
    }
}
