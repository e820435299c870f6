using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Storage.Postgres.Audit;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary><see cref="IResourceStore"/> over one <see cref="NpgsqlDataSource"/>.</summary>
public sealed class PostgresResourceStore(NpgsqlDataSource dataSource, IEnumerable<ICommittedWritesObserver>? observers = null) : IResourceStore
{
    private readonly ICommittedWritesObserver[] _observers = observers?.ToArray() ?? [];

    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ReadOneAsync(connection, resourceType, id, ct);
    }

    public async Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int version, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (resourceType == AuditTrail.ResourceType)
        {
            return version == 1 ? await AuditSql.ReadAsync(connection, id, ct) : null; // an AuditEvent has one version
        }

        await using var cmd = Sql.Command(connection, ResourceSql.ReadVersion, resourceType, id, version);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ResourceSql.ReadStored(reader, resourceType, id) : null;
    }

    public async Task<bool> ExistsAsync(string resourceType, string id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (resourceType == AuditTrail.ResourceType)
        {
            return await AuditSql.ReadAsync(connection, id, ct) is not null;
        }

        await using var cmd = Sql.Command(connection, ResourceSql.Exists, resourceType, id);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task<HistoryPage> ReadHistoryAsync(HistoryQuery query, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = HistorySql.Build(connection, query);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var entries = new List<HistoryEntry>();
        while (await reader.ReadAsync(ct))
        {
            entries.Add(HistorySql.Read(reader));
        }

        if (entries.Count <= query.Count)
        {
            return new HistoryPage(entries, null);
        }

        entries.RemoveAt(entries.Count - 1);
        return new HistoryPage(entries, entries[^1].Position);
    }

    public async Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await SearchAsync(connection, query, limit, ct);
    }

    public async Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = AuditSql.InsertCommand(connection, entries);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IResourceUnitOfWork> BeginAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            return new PostgresUnitOfWork(connection, transaction, _observers);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> IsAvailableAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var cmd = Sql.Command(connection, "SELECT 1");
            return await cmd.ExecuteScalarAsync(ct) is 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    internal static async Task<StoredResource?> ReadOneAsync(NpgsqlConnection connection, string resourceType, string id, CancellationToken ct)
    {
        if (resourceType == AuditTrail.ResourceType)
        {
            return await AuditSql.ReadAsync(connection, id, ct);
        }

        await using var cmd = Sql.Command(connection, ResourceSql.ReadCurrent, resourceType, id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ResourceSql.ReadStored(reader, resourceType, id) : null;
    }

    internal static async Task<IReadOnlyList<StoredResource>> SearchAsync(NpgsqlConnection connection, SearchQuery query, int limit, CancellationToken ct)
    {
        await using var cmd = SearchSql.Build(connection, query, limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var results = new List<StoredResource>();
        while (await reader.ReadAsync(ct))
        {
            results.Add(new StoredResource(
                query.ResourceType, reader.GetString(0), reader.GetInt32(1), Sql.ReadTimestamp(reader, 2), reader.GetBoolean(3), reader.GetString(4)));
        }

        return results;
    }
}
