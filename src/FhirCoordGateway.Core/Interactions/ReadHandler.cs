using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>FHIR read and vread. https://hl7.org/fhir/R4/http.html#read</summary>
public sealed class ReadHandler(IResourceStore store)
{
    /// <summary>The current version; 404 if it never existed, 410 if its current version is a deletion.</summary>
    public async Task<StoredResource> ReadAsync(string resourceType, string id, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        return Current(resourceType, id, await store.ReadAsync(resourceType, id, ct));
    }

    /// <summary>The current version as <paramref name="uow"/> sees it (its own writes included).</summary>
    public async Task<StoredResource> ReadInAsync(IResourceUnitOfWork uow, string resourceType, string id, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        return Current(resourceType, id, await uow.ReadAsync(resourceType, id, ct));
    }

    private static StoredResource Current(string resourceType, string id, StoredResource? current) =>
        current is null ? throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} does not exist.")
        : current.Deleted ? throw Gone(current)
        : current;

    /// <summary>One version; 404 if there is no such version, 410 if that version is a deletion.</summary>
    public async Task<StoredResource> ReadVersionAsync(string resourceType, string id, string versionId, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        if (!int.TryParse(versionId, System.Globalization.NumberStyles.None, null, out var version))
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} has no version '{versionId}'.");
        }

        var stored = await store.ReadVersionAsync(resourceType, id, version, ct)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} has no version {version}.");
        return stored.Deleted ? throw Gone(stored) : stored;
    }

    private static FhirOutcomeException Gone(StoredResource tombstone) =>
        FhirOutcomeException.Of(FailureKind.Gone, $"{tombstone.ResourceType}/{tombstone.Id} was deleted (version {tombstone.Version}).");
}
