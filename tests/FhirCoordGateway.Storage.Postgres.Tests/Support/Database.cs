using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

public sealed record ResourceRow(long ResId, int Version, DateTimeOffset LastUpdated, bool Deleted, string? Body);

public sealed record HistoryRow(int Version, DateTimeOffset LastUpdated, bool Deleted, string? Body);

/// <summary>One index row: its table, the transaction that wrote it, and its values (res_id left out) as JSON text.</summary>
public sealed record IndexRow(string Table, long WrittenBy, string Values);

public sealed record ChangeLogRow(long Seq, int Version, string Operation, DateTimeOffset ChangedAt);

/// <summary>An identifier token row of a Patient, as its hashed key (the index keeps no text).</summary>
public sealed record TokenRow(int SpId, long Hash)
{
    public TokenRow(string param, string? system, string code)
        : this(Search.SearchKeys.ParamId("Patient", param), Search.SearchKeys.Hash(Search.SearchKeys.ParamId("Patient", param), system ?? "", code))
    {
    }
}

/// <summary>Reads the tables directly, bypassing the store, so tests see exactly what was written.</summary>
public sealed class Database(NpgsqlDataSource dataSource)
{
    private static readonly string[] IndexTables = ["sp_token", "sp_string", "sp_date", "sp_number", "sp_quantity", "sp_uri", "sp_reference", "sp_composite"];

    public async Task<ResourceRow?> ResourceAsync(string type, string id)
    {
        var rows = await QueryAsync(
            "SELECT res_id, version, last_updated, deleted, body FROM resource WHERE res_type = $1 AND fhir_id = $2",
            r => new ResourceRow(r.GetInt64(0), r.GetInt32(1), r.GetFieldValue<DateTimeOffset>(2), r.GetBoolean(3), r.IsDBNull(4) ? null : r.GetString(4)),
            type, id);
        return rows.SingleOrDefault();
    }

    public Task<List<HistoryRow>> HistoryAsync(string type, string id) => QueryAsync(
        """
        SELECT h.version, h.last_updated, h.deleted, h.body FROM resource_history h JOIN resource r ON r.res_id = h.res_id
        WHERE r.res_type = $1 AND r.fhir_id = $2 ORDER BY h.version
        """,
        r => new HistoryRow(r.GetInt32(0), r.GetFieldValue<DateTimeOffset>(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetString(3)),
        type, id);

    public Task<List<ChangeLogRow>> ChangeLogAsync(string type, string id) => QueryAsync(
        "SELECT seq, version, operation, changed_at FROM change_log WHERE res_type = $1 AND fhir_id = $2 ORDER BY seq",
        r => new ChangeLogRow(r.GetInt64(0), r.GetInt32(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3)),
        type, id);

    /// <summary>The identifier token rows of a resource, found through its row; empty when it has no row.</summary>
    public Task<List<TokenRow>> TokensAsync(string type, string id) => QueryAsync(
        """
        SELECT t.sp_id, t.h_sv FROM sp_token t JOIN resource r ON r.res_id = t.res_id
        WHERE r.res_type = $1 AND r.fhir_id = $2 AND t.sp_id = $3 ORDER BY t.h_sv
        """,
        r => new TokenRow(r.GetInt32(0), r.GetInt64(1)),
        type, id, Search.SearchKeys.ParamId(type, "identifier"));

    /// <summary>Patient identifier rows with this code in any system, whatever resource they belong to (also finds orphans).</summary>
    public async Task<long> TokenCountAsync(string code) =>
        (await QueryAsync(
            "SELECT count(*) FROM sp_token WHERE h_v = $1",
            r => r.GetInt64(0),
            Search.SearchKeys.Hash(Search.SearchKeys.ParamId("Patient", "identifier"), code))).Single();

    /// <summary>
    /// Index rows, in any sp_* table, whose resource row does not exist. Resource rows are never removed
    /// (deletes are tombstones), so any such row was left by a write that should have been rolled back.
    /// </summary>
    public async Task<long> OrphanIndexRowsAsync()
    {
        var sql = "SELECT " + string.Join(" + ", IndexTables.Select(t => $"(SELECT count(*) FROM {t} x WHERE NOT EXISTS (SELECT 1 FROM resource r WHERE r.res_id = x.res_id))"));
        return (await QueryAsync(sql, r => r.GetInt64(0))).Single();
    }

    /// <summary>
    /// Every index row of a resource, in every sp_* table, as its table, the transaction that wrote it (xmin) and its
    /// values without res_id (so rows of two resources with the same content compare equal).
    /// </summary>
    public Task<List<IndexRow>> IndexRowsAsync(string type, string id)
    {
        var sql = string.Join(" UNION ALL ", IndexTables.Select(t => $"""
            SELECT '{t}', x.xmin::text::bigint, (to_jsonb(x) - 'res_id')::text FROM {t} x JOIN resource r ON r.res_id = x.res_id
            WHERE r.res_type = $1 AND r.fhir_id = $2
            """));
        return QueryAsync(sql, r => new IndexRow(r.GetString(0), r.GetInt64(1), r.GetString(2)), type, id);
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] values)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
