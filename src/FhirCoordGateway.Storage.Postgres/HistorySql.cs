using System.Text;
using FhirCoordGateway.Core.Storage;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>History pages read from the change log, newest first, joined to the version bodies.</summary>
internal static class HistorySql
{
    public static NpgsqlCommand Build(NpgsqlConnection connection, HistoryQuery query)
    {
        var values = new List<object?>();
        var where = new List<string>();
        if (query.Id is not null)
        {
            values.Add(query.ResourceType);
            values.Add(query.Id);
            where.Add($"c.res_id = (SELECT res_id FROM resource WHERE res_type = ${values.Count - 1} AND fhir_id = ${values.Count})");
        }
        else if (query.ResourceType is not null)
        {
            values.Add(query.ResourceType);
            where.Add($"c.res_type = ${values.Count}");
        }

        if (query.Since is { } since)
        {
            values.Add(since);
            where.Add($"c.changed_at >= ${values.Count}");
        }

        if (query.Before is { } before)
        {
            values.Add(before);
            where.Add($"c.seq < ${values.Count}");
        }

        // One more row than the page tells whether a next page exists.
        values.Add(query.Count + 1);
        var sql = new StringBuilder("""
            SELECT c.seq, c.operation, c.res_type, c.fhir_id, c.version, c.changed_at, coalesce(r.body, h.body)
            FROM change_log c
            LEFT JOIN resource r ON r.res_id = c.res_id AND r.version = c.version
            LEFT JOIN resource_history h ON h.res_id = c.res_id AND h.version = c.version
            """);
        if (where.Count > 0)
        {
            sql.Append(" WHERE ").Append(string.Join(" AND ", where));
        }

        sql.Append($" ORDER BY c.seq DESC LIMIT ${values.Count}");
        return Sql.Command(connection, sql.ToString(), values.ToArray());
    }

    public static HistoryEntry Read(NpgsqlDataReader reader)
    {
        var operation = Enum.Parse<ChangeOperation>(reader.GetString(1), ignoreCase: true);
        var version = new StoredResource(
            reader.GetString(2),
            reader.GetString(3),
            reader.GetInt32(4),
            Sql.ReadTimestamp(reader, 5),
            operation == ChangeOperation.Delete,
            reader.IsDBNull(6) ? null : reader.GetString(6));
        return new HistoryEntry(reader.GetInt64(0), operation, version);
    }
}
