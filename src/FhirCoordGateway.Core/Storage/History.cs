namespace FhirCoordGateway.Core.Storage;

/// <summary>
/// History at instance (type and id), type (type only) or system level (neither).
/// <paramref name="Before"/> is the change-log position to continue from (exclusive), for paging.
/// </summary>
public sealed record HistoryQuery(string? ResourceType, string? Id, DateTimeOffset? Since, int Count, long? Before);

public sealed record HistoryEntry(long Position, ChangeOperation Operation, StoredResource Version);

/// <summary>A page of history; <see cref="NextBefore"/> is set when more entries follow.</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryEntry> Entries, long? NextBefore);
