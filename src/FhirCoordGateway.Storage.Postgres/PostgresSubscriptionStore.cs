using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Npgsql;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Storage.Postgres.Audit;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary><see cref="ISubscriptionStore"/> over the tables of migration 0005.</summary>
public sealed class PostgresSubscriptionStore(NpgsqlDataSource dataSource) : ISubscriptionStore
{
    /// <summary>First key of the two-int advisory locks taken on subscriptions (the second is hashtext(id)).</summary>
    private const int LockClass = 7007;

    private const string Columns =
        "id, resource_version, status, body, events_since_start, delivered_through, failures, last_sent_at, retry_at, last_error";

    public async Task SaveAsync(string id, int version, string status, string? json, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, """
            INSERT INTO subscription (id, resource_version, status, body) VALUES ($1, $2, $3, $4)
            ON CONFLICT (id) DO UPDATE SET resource_version = excluded.resource_version, status = excluded.status, body = excluded.body,
                failures = CASE WHEN excluded.status = 'requested' THEN 0 ELSE subscription.failures END,
                retry_at = CASE WHEN excluded.status = 'requested' THEN NULL ELSE subscription.retry_at END
            WHERE subscription.resource_version < excluded.resource_version
            """, id, version, status, json);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<SubscriptionState?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, $"SELECT {Columns} FROM subscription WHERE id = $1", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadState(reader) : null;
    }

    public async Task<IReadOnlyList<SubscriptionState>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, $"SELECT {Columns} FROM subscription WHERE status <> 'deleted' ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<SubscriptionState>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(ReadState(reader));
        }

        return list;
    }

    public async Task<IReadOnlyList<string>> AppendAsync(IReadOnlyList<NewSubscriptionEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One set-based statement: new (subscription, change) pairs are numbered in list order after each
        // subscription's counter, which moves by as many; pairs already stored are skipped (replays), so numbers
        // stay gapless. The UPDATE locks the counters until the statement commits.
        await using var cmd = Sql.Command(connection, """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::numeric[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::text[], $8::timestamptz[])
                    WITH ORDINALITY AS t(sub, txn, seq, focus_type, focus_id, focus_version, operation, occurred_at, ord)),
            fresh AS (
                SELECT i.*, row_number() OVER (PARTITION BY i.sub ORDER BY i.ord) AS rn FROM input i
                WHERE NOT EXISTS (
                    SELECT 1 FROM subscription_event e WHERE e.subscription_id = i.sub AND e.change_txn = i.txn AND e.change_seq = i.seq)),
            bumped AS (
                UPDATE subscription s SET events_since_start = s.events_since_start + c.n
                FROM (SELECT sub, count(*) AS n FROM fresh GROUP BY sub) c
                WHERE s.id = c.sub
                RETURNING s.id, s.events_since_start - c.n AS base)
            INSERT INTO subscription_event
                (subscription_id, event_number, change_txn, change_seq, focus_type, focus_id, focus_version, operation, occurred_at)
            SELECT f.sub, b.base + f.rn, f.txn, f.seq, f.focus_type, f.focus_id, f.focus_version, f.operation, f.occurred_at
            FROM fresh f JOIN bumped b ON b.id = f.sub
            RETURNING subscription_id
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.SubscriptionId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => (decimal)e.Change.Transaction).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Change.Seq).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.FocusType).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.FocusId).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.FocusVersion).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => Operation(e.Operation)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.OccurredAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var woken = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            woken.Add(reader.GetString(0));
        }

        return [.. woken];
    }

    public async Task<IReadOnlyList<SubscriptionEvent>> ReadEventsAsync(string id, long after, long? until, int max, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, """
            SELECT event_number, change_txn, change_seq, focus_type, focus_id, focus_version, operation, occurred_at
            FROM subscription_event
            WHERE subscription_id = $1 AND event_number > $2 AND ($3::bigint IS NULL OR event_number <= $3)
            ORDER BY event_number LIMIT $4
            """, id, after, until, max);
        if (until is null)
        {
            cmd.Parameters[2].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        }

        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<SubscriptionEvent>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new SubscriptionEvent(
                id, reader.GetInt64(0), new ChangeFeedPosition((ulong)reader.GetDecimal(1), reader.GetInt64(2)),
                reader.GetString(3), reader.GetString(4), reader.GetInt32(5), Enum.Parse<ChangeOperation>(reader.GetString(6), ignoreCase: true),
                Sql.ReadTimestamp(reader, 7)));
        }

        return list;
    }

    public async Task<IReadOnlyList<string>> RequestWakeAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection,
            "UPDATE subscription SET wake_pending = true WHERE id = ANY($1) AND NOT wake_pending RETURNING id", (object)ids.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var woken = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            woken.Add(reader.GetString(0));
        }

        return woken;
    }

    public async Task<SubscriptionState?> ClearWakeAsync(string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, $"UPDATE subscription SET wake_pending = false WHERE id = $1 RETURNING {Columns}", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadState(reader) : null;
    }

    public async Task<IAsyncDisposable?> LockAsync(string id, TimeSpan wait, CancellationToken ct)
    {
        // A transaction-scoped advisory lock: it ends with the transaction, so a pooled connection never keeps it.
        var connection = await dataSource.OpenConnectionAsync(ct);
        var tx = await connection.BeginTransactionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch(connection, tx)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand($"SET LOCAL lock_timeout = {(long)Math.Max(1, wait.TotalMilliseconds)}"),
                    new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1, hashtext($2))") { Parameters = { Sql.Parameter(LockClass), Sql.Parameter(id) } },
                },
            };
            await batch.ExecuteNonQueryAsync(ct);
            return new HeldLock(connection, tx);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task RecordAttemptAsync(
        DeliveryAttempt attempt, long? deliveredThrough, int failures, DateTimeOffset? retryAt, AuditEntry? audit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = audit is null ? null : await connection.BeginTransactionAsync(ct);
        if (audit is not null)
        {
            await using var write = AuditSql.InsertCommand(connection, [audit]);
            await write.ExecuteNonQueryAsync(ct);
        }

        // One statement: the attempt row and the state it leaves are written together.
        await using var cmd = Sql.Command(connection, """
            WITH attempt AS (
                INSERT INTO subscription_attempt (subscription_id, kind, first_event, last_event, attempted_at, http_status, error, succeeded, elapsed_ms)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))
            UPDATE subscription SET
                delivered_through = GREATEST(delivered_through, COALESCE($10, delivered_through)),
                failures = $11, retry_at = $12,
                last_sent_at = CASE WHEN $8 THEN $5 ELSE last_sent_at END,
                last_error = CASE WHEN $8 THEN last_error ELSE $7 END
            WHERE id = $1
            """, attempt.SubscriptionId, Kind(attempt.Kind), attempt.FirstEvent, attempt.LastEvent, attempt.AttemptedAt,
            attempt.HttpStatus, attempt.Error, attempt.Succeeded, attempt.ElapsedMs, deliveredThrough, failures, retryAt);
        cmd.Parameters[2].NpgsqlDbType = cmd.Parameters[3].NpgsqlDbType = cmd.Parameters[9].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint;
        cmd.Parameters[5].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer;
        cmd.Parameters[11].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz;
        await cmd.ExecuteNonQueryAsync(ct);
        if (transaction is not null)
        {
            await transaction.CommitAsync(ct);
        }
    }

    public async Task<IReadOnlyList<DeliveryAttempt>> ReadAttemptsAsync(string id, int max, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = Sql.Command(connection, """
            SELECT kind, first_event, last_event, attempted_at, http_status, error, succeeded, elapsed_ms
            FROM subscription_attempt WHERE subscription_id = $1 ORDER BY attempt_id DESC LIMIT $2
            """, id, max);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<DeliveryAttempt>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new DeliveryAttempt(
                id, ParseKind(reader.GetString(0)), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                Sql.ReadTimestamp(reader, 3), reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetBoolean(6), reader.GetInt32(7)));
        }

        return list;
    }

    private static SubscriptionState ReadState(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetInt32(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetInt32(6),
        r.IsDBNull(7) ? null : Sql.ReadTimestamp(r, 7), r.IsDBNull(8) ? null : Sql.ReadTimestamp(r, 8), r.IsDBNull(9) ? null : r.GetString(9));

    private static string Operation(ChangeOperation op) => op.ToString().ToLowerInvariant();

    private static string Kind(NotificationKind kind) => kind switch
    {
        NotificationKind.Handshake => "handshake",
        NotificationKind.Heartbeat => "heartbeat",
        _ => "event-notification",
    };

    private static NotificationKind ParseKind(string kind) => kind switch
    {
        "handshake" => NotificationKind.Handshake,
        "heartbeat" => NotificationKind.Heartbeat,
        _ => NotificationKind.EventNotification,
    };

    /// <summary>The open transaction that holds the advisory lock; disposing ends it (and the lock).</summary>
    private sealed class HeldLock(NpgsqlConnection connection, NpgsqlTransaction tx) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
