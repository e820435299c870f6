using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Audit;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>One connection and one READ COMMITTED transaction; rolled back on dispose unless committed.</summary>
internal sealed class PostgresUnitOfWork(
    NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<ICommittedWritesObserver> observers) : IResourceUnitOfWork
{
    private readonly List<NewVersion> _written = [];

    public async Task LockAsync(string key, CancellationToken ct)
    {
        // Transaction-scoped advisory lock on a 64-bit hash of the key: released by commit or rollback.
        await using var cmd = Sql.Command(connection, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) =>
        PostgresResourceStore.ReadOneAsync(connection, resourceType, id, ct);

    public Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct) =>
        PostgresResourceStore.SearchAsync(connection, query, limit, ct);

    public async Task WriteAsync(NewVersion version, StoredResource? previous, CancellationToken ct)
    {
        await using var cmd = ResourceSql.WriteCommand(connection, version, previous);
        try
        {
            if ((long)(await cmd.ExecuteScalarAsync(ct))! != 1)
            {
                // The current version moved under us: only possible for a writer that skipped the resource lock.
                throw FhirOutcomeException.Of(
                    FailureKind.Conflict, $"{version.ResourceType}/{version.Id} was changed by another request; retry.");
            }

            _written.Add(version);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Conflict, $"{version.ResourceType}/{version.Id} was created by another request; retry.");
        }
    }

    public async Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        await using var cmd = AuditSql.InsertCommand(connection, entries);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task CommitAsync(CancellationToken ct)
    {
        await transaction.CommitAsync(ct);
        foreach (var observer in observers)
        {
            observer.OnCommitted(_written);
        }
    }

    /// <summary>Disposing an NpgsqlTransaction that was not committed rolls it back.</summary>
    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
