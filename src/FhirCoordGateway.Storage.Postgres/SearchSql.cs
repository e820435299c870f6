using System.Text;
using FhirCoordGateway.Core.Search;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>
/// Translates a <see cref="SearchQuery"/> into one parameterised SELECT over current, non-deleted resources:
/// criteria are ANDed, the values of one criterion ORed; ordered by storage id so results are stable.
/// </summary>
internal static class SearchSql
{
    public static NpgsqlCommand Build(NpgsqlConnection connection, SearchQuery query, int limit)
    {
        var values = new List<object?> { query.ResourceType };
        var sql = new StringBuilder("SELECT r.fhir_id, r.version, r.last_updated, r.deleted, r.body FROM resource r WHERE r.res_type = $1 AND NOT r.deleted");
        foreach (var criterion in query.Criteria)
        {
            switch (criterion)
            {
                case IdCriterion id:
                    values.Add(id.Ids.Select(i => (string?)i).ToArray());
                    sql.Append($" AND r.fhir_id = ANY(${values.Count})");
                    break;
                case TokenCriterion token:
                    sql.Append(" AND EXISTS (SELECT 1 FROM search_token t WHERE t.res_id = r.res_id");
                    values.Add(token.Parameter);
                    sql.Append($" AND t.param = ${values.Count} AND (");
                    sql.Append(string.Join(" OR ", token.Values.Select(v => TokenCondition(v, values))));
                    sql.Append("))");
                    break;
                default:
                    throw new NotSupportedException($"Search criterion {criterion.GetType().Name} has no SQL translation.");
            }
        }

        values.Add(limit);
        sql.Append($" ORDER BY r.res_id LIMIT ${values.Count}");
        return Sql.Command(connection, sql.ToString(), values.ToArray());
    }

    private static string TokenCondition(TokenValue value, List<object?> values)
    {
        var parts = new List<string>();
        if (value.Code is not null)
        {
            values.Add(value.Code);
            parts.Add($"t.code = ${values.Count}");
        }

        if (value.System is not null)
        {
            values.Add(value.System);
            parts.Add($"t.system = ${values.Count}");
        }
        else if (value.NoSystem)
        {
            parts.Add("t.system IS NULL");
        }

        return parts.Count == 0 ? "true" : "(" + string.Join(" AND ", parts) + ")";
    }
}
