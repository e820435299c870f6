using FhirCoordGateway.Core.Storage;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary><see cref="IAttemptLog"/> on the attempt_log table (migration 0008): one row per work item, the last start.</summary>
public sealed class PostgresAttemptLog(NpgsqlDataSource dataSource) : IAttemptLog
{
    private const string StartSql = """
        INSERT INTO attempt_log (work_key, from_version, attempt, started_at) VALUES ($1, $2, $3, now())
        ON CONFLICT (work_key) DO UPDATE SET from_version = excluded.from_version, attempt = excluded.attempt, started_at = excluded.started_at
        """;

    private const string LastSql = "SELECT from_version, attempt FROM attempt_log WHERE work_key = $1";

    public async Task StartAsync(string key, int fromVersion, int number, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, StartSql, key, fromVersion, number);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<StartedAttempt?> LastStartedAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, LastSql, key);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new StartedAttempt(reader.GetInt32(0), reader.GetInt32(1)) : null;
    }
}
