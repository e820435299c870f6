using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// The resource store as the request's caller may use it: what the caller may not see does not exist (404,
/// never a hint that it does), history leaves it out, searches are restricted like <see cref="SecuredSearchStore"/>,
/// and units of work refuse writes outside the caller's reach (<see cref="SecuredUnitOfWork"/>). Outside requests
/// it passes through.
/// </summary>
public sealed class SecuredResourceStore(IResourceStore inner, RequestSecurityAccessor accessor, ResourceVisibility visibility, AuditRecorder audit) : IResourceStore
{
    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) =>
        Visible(await inner.ReadAsync(resourceType, id, ct));

    public async Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int version, CancellationToken ct) =>
        Visible(await inner.ReadVersionAsync(resourceType, id, version, ct));

    public async Task<bool> ExistsAsync(string resourceType, string id, CancellationToken ct) =>
        accessor.Current is null ? await inner.ExistsAsync(resourceType, id, ct) : await ReadAsync(resourceType, id, ct) is not null;

    public async Task<HistoryPage> ReadHistoryAsync(HistoryQuery query, CancellationToken ct)
    {
        var page = await inner.ReadHistoryAsync(query, ct);
        if (accessor.Current is not { } security)
        {
            return page;
        }

        var entries = page.Entries.Where(e => visibility.CanSee(security.Access, e.Version)).ToList();
        foreach (var entry in entries)
        {
            security.Touched(entry.Version.VersionedReference);
        }

        return page with { Entries = entries };
    }

    public async Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct) =>
        accessor.Current is { } security
            ? visibility.Filter(security, await inner.SearchAsync(SearchAccess.Restrict(query, security.Access), limit, ct))
            : await inner.SearchAsync(query, limit, ct);

    public async Task<IResourceUnitOfWork> BeginAsync(CancellationToken ct)
    {
        var uow = await inner.BeginAsync(ct);
        return accessor.Current is { } security ? new SecuredUnitOfWork(uow, security, visibility, audit) : uow;
    }

    public Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct) => inner.RecordAuditAsync(entries, ct);

    public Task<bool> IsAvailableAsync(CancellationToken ct) => inner.IsAvailableAsync(ct);

    private StoredResource? Visible(StoredResource? stored)
    {
        if (stored is null || accessor.Current is not { } security)
        {
            return stored;
        }

        if (!visibility.CanSee(security.Access, stored))
        {
            return null;
        }

        security.Touched(stored.Deleted ? $"{stored.ResourceType}/{stored.Id}" : stored.VersionedReference);
        return stored;
    }
}
