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
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        await using var uow = await store.BeginAsync(ct);
        var tombstone = await DeleteAsync(uow, resourceType, id, ct)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} does not exist.");
        await uow.CommitAsync(ct);
        return tombstone.Written;
    }

    /// <returns>The tombstone written, or null when nothing matched or it was already deleted.</returns>
    public async Task<StoredResource?> HandleConditionalAsync(string resourceType, SearchQuery criteria, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        await using var uow = await store.BeginAsync(ct);
        var match = await ConditionalMatch.FindSingleAsync(uow, criteria, "delete", ct);
        if (match is null)
        {
            return null;
        }

        var tombstone = await DeleteAsync(uow, resourceType, match.Id, ct);
        await uow.CommitAsync(ct);
        return tombstone?.Written;
    }

    /// <returns>Null when the resource never existed; otherwise what was written (null if it was already deleted).</returns>
    private async Task<Deletion?> DeleteAsync(IResourceUnitOfWork uow, string resourceType, string id, CancellationToken ct)
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
