using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Reindex;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// Reindex jobs over <c>reindex_job</c>: each batch locks the job row (<c>FOR UPDATE SKIP LOCKED</c>, so nodes take
/// turns), reads the next res_ids, and replaces their index rows with one statement per resource sent as one batch.
/// </summary>
public sealed class PostgresReindexStore(NpgsqlDataSource dataSource) : IReindexStore
{
    /// <summary>Replaces the index rows of resource <c>$1</c> that differ from the new ones (same CTEs as the write path).</summary>
    private static readonly string Replace = $"""
        WITH s AS (SELECT res_id FROM resource WHERE res_id = $1 AND NOT deleted),
        {SearchIndexSql.IndexCtes("s", first: 4, typeParam: 2, idParam: 3, replace: true)}
        SELECT 1
        """;

    public async Task<Guid> CreateAsync(string? resourceType, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO reindex_job (job_id, status, resource_type, max_res_id, total)
            SELECT $1, 'queued', $2, coalesce(max(res_id), 0), count(*) FROM resource WHERE NOT deleted AND ($2::text IS NULL OR res_type = $2)
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(Sql.Parameter(resourceType));
        await cmd.ExecuteNonQueryAsync(ct);
        return id;
    }

    public async Task<ReindexStatus?> GetAsync(Guid jobId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT status, resource_type, processed, total, last_res_id, created_at, updated_at, error FROM reindex_job WHERE job_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? new ReindexStatus(jobId, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
                r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetString(7))
            : null;
    }

    public async Task<IReadOnlyList<Guid>> PendingAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT job_id FROM reindex_job WHERE status IN ('queued', 'running') ORDER BY created_at");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var ids = new List<Guid>();
        while (await r.ReadAsync(ct))
        {
            ids.Add(r.GetGuid(0));
        }

        return ids;
    }

    public async Task<int> ProcessBatchAsync(Guid jobId, int batchSize, Func<ReindexItem, SearchIndexRows> index, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long last, max;
        string? type;
        await using (var claim = new NpgsqlCommand(
            "SELECT last_res_id, max_res_id, resource_type FROM reindex_job WHERE job_id = $1 AND status IN ('queued', 'running') FOR UPDATE SKIP LOCKED", connection, tx))
        {
            claim.Parameters.Add(new NpgsqlParameter { Value = jobId });
            await using var r = await claim.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return 0;
            }

            (last, max, type) = (r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2));
        }

        var items = new List<ReindexItem>();
        await using (var read = Sql.Command(connection, """
            SELECT res_id, res_type, fhir_id, body FROM resource
            WHERE res_id > $1 AND res_id <= $2 AND NOT deleted AND ($3::text IS NULL OR res_type = $3)
            ORDER BY res_id LIMIT $4
            """, last, max, type, batchSize))
        {
            read.Transaction = tx;
            await using var r = await read.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                items.Add(new ReindexItem(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3)));
            }
        }

        if (items.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var item in items)
            {
                var command = new NpgsqlBatchCommand(Replace);
                command.Parameters.Add(new NpgsqlParameter { Value = item.ResId });
                command.Parameters.Add(Sql.Parameter(item.ResourceType));
                command.Parameters.Add(Sql.Parameter(item.Id));
                foreach (var value in SearchIndexSql.Values(item.ResourceType, index(item)))
                {
                    command.Parameters.Add(Sql.Parameter(value));
                }

                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(ct);
        }

        var done = items.Count < batchSize;
        await using (var progress = Sql.Command(connection, """
            UPDATE reindex_job SET last_res_id = $2, processed = processed + $3, status = $4, updated_at = now() WHERE job_id = $1
            """, jobId, items.Count > 0 ? items[^1].ResId : last, (long)items.Count, done ? "completed" : "running"))
        {
            progress.Transaction = tx;
            await progress.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return done ? 0 : items.Count;
    }

    public async Task FailAsync(Guid jobId, string error, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE reindex_job SET status = 'failed', error = $2, updated_at = now() WHERE job_id = $1");
        cmd.Parameters.Add(new NpgsqlParameter { Value = jobId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = error });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<string>> RecordParametersAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH input AS (SELECT * FROM unnest($1::text[], $2::text[]) AS i(param_key, fingerprint)),
            changed AS (
                SELECT i.param_key FROM input i LEFT JOIN search_param_state s ON s.param_key = i.param_key
                WHERE s.fingerprint IS DISTINCT FROM i.fingerprint),
            upsert AS (
                INSERT INTO search_param_state (param_key, fingerprint) SELECT param_key, fingerprint FROM input
                ON CONFLICT (param_key) DO UPDATE SET fingerprint = excluded.fingerprint, seen_at = now()
                WHERE search_param_state.fingerprint <> excluded.fingerprint)
            SELECT param_key FROM changed ORDER BY param_key
            """);
        cmd.Parameters.Add(Sql.Parameter(fingerprints.Keys.Select(k => (string?)k).ToArray()));
        cmd.Parameters.Add(Sql.Parameter(fingerprints.Values.Select(v => (string?)v).ToArray()));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<string>();
        while (await r.ReadAsync(ct))
        {
            keys.Add(r.GetString(0));
        }

        return keys;
    }
}
