using FhirCoordGateway.Core.Storage;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>
/// <see cref="IChangeFeed"/> on the change_log table (migration 0004). Entries are handed out in (tx, seq)
/// order and only below the current snapshot's xmin: every transaction with a smaller id has finished, so a
/// slow writer's entry can never land behind a consumer's saved position.
/// </summary>
public sealed class PostgresChangeFeed(NpgsqlDataSource dataSource) : IChangeFeed
{
    private const string ReadSql = """
        WITH p AS (SELECT coalesce((SELECT tx FROM change_feed_position WHERE consumer = $1), '0'::xid8) AS tx,
                          coalesce((SELECT seq FROM change_feed_position WHERE consumer = $1), 0) AS seq)
        SELECT c.tx::text, c.seq, c.res_type, c.fhir_id, c.version, c.operation, c.changed_at
        FROM change_log c, p
        WHERE (c.tx, c.seq) > (p.tx, p.seq)
          AND c.tx < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY c.tx, c.seq
        LIMIT $2
        """;

    private const string SaveSql = """
        INSERT INTO change_feed_position (consumer, tx, seq, saved_at) VALUES ($1, $2::text::xid8, $3, now())
        ON CONFLICT (consumer) DO UPDATE SET tx = excluded.tx, seq = excluded.seq, saved_at = excluded.saved_at
        """;

    public async Task<IReadOnlyList<ChangeEntry>> ReadAsync(string consumer, int max, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(ReadSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = consumer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = max });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var entries = new List<ChangeEntry>();
        while (await reader.ReadAsync(ct))
        {
            entries.Add(new ChangeEntry(
                new ChangeFeedPosition(ulong.Parse(reader.GetString(0)), reader.GetInt64(1)),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt32(4),
                Enum.Parse<ChangeOperation>(reader.GetString(5), ignoreCase: true),
                reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return entries;
    }

    public async Task SaveAsync(string consumer, ChangeFeedPosition handled, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(SaveSql);
        cmd.Parameters.Add(new NpgsqlParameter { Value = consumer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = handled.Transaction.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = handled.Seq });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IAsyncDisposable?> TryLeadAsync(string consumer, CancellationToken ct)
    {
        // A session lock on a connection kept open while leading: if the node dies, PostgreSQL drops the
        // connection and the lock with it, and another node takes over.
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
            cmd.Parameters.Add(new NpgsqlParameter { Value = LockKey(consumer) });
            if (await cmd.ExecuteScalarAsync(ct) is true)
            {
                return new Leadership(connection, LockKey(consumer));
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    private static long LockKey(string consumer) =>
        0x43464545_00000000L | (uint)System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(consumer));

    private sealed class Leadership(NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // The pool does not reset sessions (NoResetOnClose), so the lock is released explicitly.
                await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                cmd.Parameters.Add(new NpgsqlParameter { Value = key });
                await cmd.ExecuteScalarAsync();
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
