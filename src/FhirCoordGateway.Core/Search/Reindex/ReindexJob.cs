using FhirCoordGateway.Core.Interactions;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Core.Search.Reindex;

/// <summary>State of a reindex job, with its progress.</summary>
public sealed record ReindexStatus(Guid JobId, string Status, string? ResourceType, long Processed, long Total, long LastResId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Error);

/// <summary>One resource of a reindex batch: its storage id and current JSON.</summary>
public sealed record ReindexItem(long ResId, string ResourceType, string Id, string Json);

/// <summary>Port to the reindex job table and to the index rows of a batch.</summary>
public interface IReindexStore
{
    /// <summary>Queues a job over every current resource (of one type, or all) and returns its id.</summary>
    Task<Guid> CreateAsync(string? resourceType, CancellationToken ct);

    Task<ReindexStatus?> GetAsync(Guid jobId, CancellationToken ct);

    /// <summary>Jobs that are queued or running, oldest first.</summary>
    Task<IReadOnlyList<Guid>> PendingAsync(CancellationToken ct);

    /// <summary>
    /// In one transaction holding the job row: reads the next batch after the job's position, lets
    /// <paramref name="index"/> compute each item's rows, replaces their index rows and advances the progress.
    /// Returns the number of resources processed (0 when the job is complete, or busy on another node).
    /// </summary>
    Task<int> ProcessBatchAsync(Guid jobId, int batchSize, Func<ReindexItem, SearchIndexRows> index, CancellationToken ct);

    Task FailAsync(Guid jobId, string error, CancellationToken ct);

    /// <summary>Records the fingerprints of the custom parameters; returns the keys that are new or changed since the last start.</summary>
    Task<IReadOnlyList<string>> RecordParametersAsync(IReadOnlyDictionary<string, string> fingerprints, CancellationToken ct);
}

/// <summary>
/// Rebuilds the search index rows of stored resources (after a SearchParameter was added or changed), in batches of
/// 1000 res_ids, each batch its own transaction with the progress in <c>reindex_job</c>. The hosted service calls it
/// today; a Hangfire job can call <see cref="RunAsync"/> unchanged later.
/// </summary>
public sealed class ReindexJob(IReindexStore store, SearchIndexer indexer, ILogger<ReindexJob> logger)
{
    public const int BatchSize = 1000;

    /// <summary>
    /// At start-up: custom SearchParameters (profiles/) that are new or changed since the last start index nothing for
    /// the resources already stored; each is reported with the <c>$reindex</c> call that fixes it.
    /// </summary>
    public async Task<IReadOnlyList<string>> OfferReindexAsync(CancellationToken ct)
    {
        var fingerprints = indexer.Catalog.All.Where(p => p.Custom)
            .ToDictionary(p => p.Key, p => $"{p.Type}|{p.Expression}", StringComparer.Ordinal);
        var changed = await store.RecordParametersAsync(fingerprints, ct);
        foreach (var key in changed)
        {
            logger.LogWarning(
                "Search parameter {SearchParameter} is new or changed: existing resources are not indexed for it until POST /fhir/$reindex?resourceType={ResourceType} runs",
                key, key[..key.IndexOf('.')]);
        }

        return changed;
    }

    public async Task RunAsync(Guid jobId, CancellationToken ct)
    {
        try
        {
            int processed;
            do
            {
                processed = await store.ProcessBatchAsync(jobId, BatchSize, item => indexer.ExtractAlways(ResourceJson.Parse(item.Json)), ct);
            }
            while (processed > 0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Reindex job {JobId} failed", jobId);
            await store.FailAsync(jobId, e.GetType().Name, CancellationToken.None);
        }
    }
}
