using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// A unit of work of a request: it reads and searches as <see cref="SecuredResourceStore"/> does, and refuses
/// (403) any write the caller's scopes do not grant on the written type, on a resource the caller cannot see,
/// or, for a <c>patient/</c> grant, outside the launch patient's compartment. This holds for every resource a
/// request writes, also those a document ingestion or a transaction writes on its behalf. When it wrote, its
/// commit carries the request's AuditEvent in the same database transaction.
/// </summary>
public sealed class SecuredUnitOfWork(
    IResourceUnitOfWork inner, RequestSecurity security, ResourceVisibility visibility, AuditRecorder audit) : IResourceUnitOfWork
{
    private bool _wrote;

    public Task LockAsync(string key, CancellationToken ct) => inner.LockAsync(key, ct);

    /// <summary>
    /// Any scope on the type will do here: writes read the current version first (a delete-only token must see what
    /// it deletes), and GET entries were authorized for read beforehand.
    /// </summary>
    public async Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) =>
        await inner.ReadAsync(resourceType, id, ct) is { } stored && visibility.CanSee(security.Access, stored, ScopePermissions.None) ? stored : null;

    public async Task<IReadOnlyList<StoredResource>> SearchAsync(SearchQuery query, int limit, CancellationToken ct) =>
        visibility.Filter(security, await inner.SearchAsync(SearchAccess.Restrict(query, security.Access), limit, ct));

    public async Task WriteAsync(NewVersion version, StoredResource? previous, CancellationToken ct)
    {
        var access = security.Access;
        var needed = version.Operation == ChangeOperation.Delete ? ScopePermissions.Delete
            : previous is null or { Deleted: true } ? ScopePermissions.Create
            : ScopePermissions.Update;
        var level = access.Level(version.ResourceType, needed);
        var what = $"{version.ResourceType}/{version.Id}";
        SmartAuthorizer.Require(level != AccessLevel.Denied, $"writing {version.ResourceType} needs a scope granting '{SmartAuthorizer.Letter(needed)}' on {version.ResourceType}");
        // The handler saw no previous version when it is hidden from this caller: look past the filter.
        var replaced = previous ?? await inner.ReadAsync(version.ResourceType, version.Id, ct);
        SmartAuthorizer.Require(replaced is null or { Deleted: true } || visibility.CanSee(access, replaced, needed), $"{what} is outside what this token may change");
        SmartAuthorizer.Require(
            level == AccessLevel.Full || version.Json is null || visibility.InCompartment(ResourceJson.Parse(version.Json), access.Patient!),
            $"{what} would not be in the compartment of the token's patient");
        await inner.WriteAsync(version, previous, ct);
        security.Touched($"{what}/_history/{version.Version}");
        _wrote = true;
    }

    public Task RecordAuditAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct) => inner.RecordAuditAsync(entries, ct);

    public async Task CommitAsync(CancellationToken ct)
    {
        if (!_wrote)
        {
            await inner.CommitAsync(ct);
            return;
        }

        var entities = security.Unaudited();
        await inner.RecordAuditAsync([audit.ForCommit(security, entities)], ct);
        await inner.CommitAsync(ct);
        security.AuditedWithCommit(entities.Count);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
