using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>SQL of reference criteria on <c>sp_reference</c>: by target id (and type), or by URL.</summary>
internal static class ReferenceSql
{
    public static string Emit(ReferenceCriterion r, int[] sp, string alias, SqlParams p)
    {
        var conditions = r.Values.Select(v => v switch
        {
            { Url: { } url } => $"x.url = {p.Add(url)}",
            { Type: { } type, Id: { } id } => $"x.target_id = {p.Add(id)} AND x.target_type = {p.Add(type)}",
            { Id: { } id } => $"x.target_id = {p.Add(id)}",
            _ => "false",
        });
        return $"{alias}.res_id IN (SELECT x.res_id FROM sp_reference x WHERE x.sp_id = ANY({p.Add(sp)}) AND {SearchSqlBuilder.Or(conditions)})";
    }
}
