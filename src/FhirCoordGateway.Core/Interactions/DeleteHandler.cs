using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// FHIR delete and conditional delete (single match). A delete writes a tombstone version, so history keeps
/// it and a later read answers 410. https://hl7.org/fhir/R4/http.html#delete
/// </summary>
public sealed class DeleteHandler(IResourceStore store, VersionFactory versions)
{
    /// <returns>The tombstone written, or null when the resource was already deleted (nothing to do).</returns>
    public async Task<StoredResource?> HandleAsync(string resourceType, string id, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var tombstone = await DeleteInAsync(uow, resourceType, id, ct);
        await uow.CommitAsync(ct);
        return tombstone;
    }

    /// <returns>The tombstone written, or null when nothing matched or it was already deleted.</returns>
    public async Task<StoredResource?> HandleConditionalAsync(string resourceType, SearchQuery criteria, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var tombstone = await DeleteConditionalInAsync(uow, resourceType, criteria, ct);
        await uow.CommitAsync(ct);
        return tombstone;
    }

    /// <summary>Deletes <c>[type]/[id]</c> inside <paramref name="uow"/>: 404 if it never existed.</summary>
    /// <returns>The tombstone written, or null when it was already deleted.</returns>
    public async Task<StoredResource?> DeleteInAsync(IResourceUnitOfWork uow, string resourceType, string id, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        var deletion = await DeleteExistingAsync(uow, resourceType, id, ct)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} does not exist.");
        return deletion.Written;
    }

    /// <summary>Conditional delete inside <paramref name="uow"/>: nothing when no match, 412 when several.</summary>
    public async Task<StoredResource?> DeleteConditionalInAsync(IResourceUnitOfWork uow, string resourceType, SearchQuery criteria, CancellationToken ct)
    {
        var match = await ResolveConditionalAsync(uow, resourceType, criteria, ct);
        return match is null ? null : (await DeleteExistingAsync(uow, resourceType, match, ct))?.Written;
    }

    /// <summary>The id the criteria of a conditional delete select, null when none, 412 when several.</summary>
    public async Task<string?> ResolveConditionalAsync(IResourceUnitOfWork uow, string resourceType, SearchQuery criteria, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        return (await ConditionalMatch.FindSingleAsync(uow, criteria, "delete", ct))?.Id;
    }

    /// <returns>Null when the resource never existed; otherwise what was written (null if it was already deleted).</returns>
    private async Task<Deletion?> DeleteExistingAsync(IResourceUnitOfWork uow, string resourceType, string id, CancellationToken ct)
    {
        await uow.LockAsync($"{resourceType}/{id}", ct);
        var current = await uow.ReadAsync(resourceType, id, ct);
        if (current is null)
        {
            return null;
        }

        if (current.Deleted)
        {
            return new Deletion(null);
        }

        var tombstone = versions.Tombstone(current);
        await uow.WriteAsync(tombstone, current, ct);
        return new Deletion(CreateHandler.Stored(tombstone));
    }

    private sealed record Deletion(StoredResource? Written);
}
