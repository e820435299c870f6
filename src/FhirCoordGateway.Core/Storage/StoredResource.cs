using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Storage;

/// <summary>What a write did to a resource; recorded in the change log with every version.</summary>
public enum ChangeOperation
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// One stored version of a resource. <see cref="Json"/> is the resource as served (meta.versionId and
/// meta.lastUpdated included), or null for a deletion tombstone.
/// </summary>
public sealed record StoredResource(
    string ResourceType, string Id, int Version, DateTimeOffset LastUpdated, bool Deleted, string? Json)
{
    public string VersionedReference => $"{ResourceType}/{Id}/_history/{Version}";
}

/// <summary>A version about to be written, with the search index rows extracted from it.</summary>
public sealed record NewVersion(
    string ResourceType,
    string Id,
    int Version,
    DateTimeOffset LastUpdated,
    ChangeOperation Operation,
    string? Json,
    SearchIndexRows Index);
