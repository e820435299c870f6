using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security.Audit;

namespace FhirCoordGateway.Core.Storage;

/// <summary>
/// Port to the resource store: current versions, full history, the change log and the search index.
/// Reads run on their own; every write runs inside an <see cref="IResourceUnitOfWork"/>.
/// </summary>
public interface IResourceStore
{
    /// <summary>The current version of a resource, a tombstone if it was deleted, or null if it never existed.</summary>
    Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct);

    /// <summary>One version of a resource (tombstones included), or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int version, CancellationToken ct);

    /// <summary>True when the resource has at least one version (deleted or not).</summary>
    Task<bool> ExistsAsync(string resourceType, string id, CancellationToken ct);

    /// <summary>History newest first, paged by change-log position.</summary>
    Task<HistoryPage> ReadHistoryAsync(HistoryQuery query, CancellationToken ct);

    /// <summary>Current, non-deleted resources matching <paramref name="query"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct);

    /// <summary>Appends AuditEvents to the audit trail (ADR 0016) in one statement, committed on its own.</summary>
    Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct);

    /// <summary>Starts a database transaction for one or more writes.</summary>
    Task<IResourceUnitOfWork> BeginAsync(CancellationToken ct);

    /// <summary>True when the database answers.</summary>
    Task<bool> IsAvailableAsync(CancellationToken ct);
}

/// <summary>
/// One database transaction. Every <see cref="WriteAsync"/> stores the version, its index rows and its
/// change-log row together; nothing is visible to others before <see cref="CommitAsync"/>, and
/// disposing without commit rolls everything back.
/// </summary>
public interface IResourceUnitOfWork : IAsyncDisposable
{
    /// <summary>
    /// Holds an exclusive lock on <paramref name="key"/> until the transaction ends, so that writers that
    /// decide on the same key (a resource id, a conditional query) run one after the other.
    /// </summary>
    Task LockAsync(string key, CancellationToken ct);

    Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct);

    Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct);

    /// <summary>Writes <paramref name="version"/>; <paramref name="previous"/> is the current version it replaces, if any.</summary>
    Task WriteAsync(NewVersion version, StoredResource? previous, CancellationToken ct);

    /// <summary>Appends AuditEvents to the audit trail (ADR 0016), in one round trip.</summary>
    Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct);

    Task CommitAsync(CancellationToken ct);
}
