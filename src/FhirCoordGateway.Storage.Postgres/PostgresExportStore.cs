using System.Text.Json;
using FhirCoordGateway.Core.Export;
using Npgsql;
using NpgsqlTypes;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>
/// Bulk exports over <c>export_job</c> and <c>export_file</c> (migration 0007). A file is only added while its
/// export is running, so a DELETE during the run stops the job at its next file.
/// </summary>
public sealed class PostgresExportStore(NpgsqlDataSource dataSource) : IExportStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task CreateAsync(Guid id, ExportRequest request, DateTimeOffset transactionTime, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO export_job (job_id, status, owner, request, transaction_time) VALUES ($1, 'queued', $2, $3, $4)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(Sql.Parameter(request.Requester?.Owner));
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(request, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.Add(Sql.Parameter(transactionTime));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<ExportJob?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, """
            SELECT j.status, j.request::text, j.transaction_time, j.progress, j.error, f.file_no, f.resource_type, f.line_count, f.is_error
            FROM export_job j LEFT JOIN export_file f ON f.job_id = j.job_id
            WHERE j.job_id = $1 ORDER BY f.file_no
            """, id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        ExportJob? job = null;
        var files = new List<ExportFile>();
        while (await r.ReadAsync(ct))
        {
            job ??= new ExportJob(id, r.GetString(0), Request(r.GetString(1)), Sql.ReadTimestamp(r, 2),
                r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), files);
            if (!r.IsDBNull(5))
            {
                files.Add(new ExportFile(r.GetInt32(5), r.GetString(6), r.GetInt32(7), r.GetBoolean(8)));
            }
        }

        return job;
    }

    public async Task<ExportJob?> StartAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var claim = Sql.Command(connection, """
            UPDATE export_job SET status = 'running', progress = 'started', updated_at = now()
            WHERE job_id = $1 AND status IN ('queued', 'running')
            RETURNING request::text, transaction_time
            """, id))
        {
            claim.Transaction = tx;
            await using var r = await claim.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct))
            {
                return null;
            }

            var job = new ExportJob(id, ExportStatus.Running, Request(r.GetString(0)), Sql.ReadTimestamp(r, 1), "started", null, []);
            await r.DisposeAsync();
            // A rerun (Hangfire delivers at least once) starts over.
            await using var clear = Sql.Command(connection, "DELETE FROM export_file WHERE job_id = $1", id);
            clear.Transaction = tx;
            await clear.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
            return job;
        }
    }

    public async Task<bool> AddFileAsync(Guid id, ExportFile file, string ndjson, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, """
            INSERT INTO export_file (job_id, file_no, resource_type, is_error, line_count, body)
            SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM export_job WHERE job_id = $1 AND status = 'running')
            """, id, file.Number, file.ResourceType, file.IsError, file.Count, ndjson);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task ProgressAsync(Guid id, string progress, CancellationToken ct) =>
        ExecuteAsync("UPDATE export_job SET progress = $2, updated_at = now() WHERE job_id = $1 AND status = 'running'", ct, id, progress);

    public Task CompleteAsync(Guid id, CancellationToken ct) =>
        ExecuteAsync("UPDATE export_job SET status = 'completed', progress = NULL, updated_at = now() WHERE job_id = $1 AND status = 'running'", ct, id);

    public Task FailAsync(Guid id, string error, CancellationToken ct) =>
        ExecuteAsync("UPDATE export_job SET status = 'failed', error = $2, progress = NULL, updated_at = now() WHERE job_id = $1", ct, id, error);

    public async Task<string?> ReadFileAsync(Guid id, int number, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, "SELECT body FROM export_file WHERE job_id = $1 AND file_no = $2", id, number);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, "DELETE FROM export_job WHERE job_id = $1", id);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params object?[] values)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, sql, values);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static ExportRequest Request(string json) =>
        JsonSerializer.Deserialize<ExportRequest>(json, Json) ?? throw new InvalidDataException("An export_job row has no request.");
}
