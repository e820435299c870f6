using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>
/// The outbox dispatcher of documents: for every DocumentReference created (a new document, or a
/// replacement, which MHD makes a new DocumentReference with relatesTo), it records one delivery Task per
/// target and queues its job. Replaying an entry after a crash finds the Tasks already made (their ids follow
/// from the document and target) and only re-queues those still waiting.
/// </summary>
public sealed class DocumentRoutingConsumer(
    IResourceStore store, DocumentRouter router, DeliveryTracker tracker, IDeliveryQueue queue, TimeProvider clock,
    IOptions<DeliveryOptions> options, ILogger<DocumentRoutingConsumer> logger) : IChangeConsumer
{
    public string Name => "document-routing";

    public async Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct)
    {
        // Documents are independent of each other, so their targets are worked out several at a time (one at a time, the
        // reads capped the pipeline at about 40 documents/s, docs/BENCHMARKS.md); the Tasks of the whole batch are then
        // made in one transaction and queued once committed, several to a job (docs/adr/0017).
        var documents = entries.Where(e => e is { ResourceType: "DocumentReference", Operation: ChangeOperation.Create }).ToList();
        var planned = new IReadOnlyList<FhirTask>[documents.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, documents.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.RoutingParallelism, CancellationToken = ct },
            async (i, token) => planned[i] = await PlanAsync(documents[i], token));

        var deliveries = await tracker.EnsureAllAsync([.. planned.SelectMany(p => p)], ct);
        var ready = deliveries.Where(d => d.Delivery.Task.Status == FhirTask.TaskStatus.Ready).Select(d => d.Delivery.Task.Id!).ToList();
        // Shared out round-robin, so that each job holds documents of the whole batch and the jobs end at about the same time.
        var jobs = Math.Min(ready.Count, options.Value.JobsPerBatch);
        for (var j = 0; j < jobs; j++)
        {
            queue.EnqueueAll([.. ready.Where((_, i) => i % jobs == j)]);
        }

        foreach (var (delivery, _) in deliveries.Where(d => d.Created))
        {
            logger.LogInformation("Delivery Task/{TaskId} queued for DocumentReference/{DocumentId}/_history/{Version} ({Channel})",
                delivery.Task.Id, DeliveryTask.DocumentId(delivery.Task), DeliveryTask.DocumentVersion(delivery.Task), DeliveryTask.ChannelCode(DeliveryTask.Channel(delivery.Task)));
        }
    }

    /// <summary>The delivery Tasks one document calls for (none when it is not current or has no stored patient).</summary>
    private async Task<IReadOnlyList<FhirTask>> PlanAsync(ChangeEntry entry, CancellationToken ct)
    {
        if (StoreReferences.As<DocumentReference>(await store.ReadVersionAsync(entry.ResourceType, entry.Id, entry.Version, ct))
            is not { Status: DocumentReferenceStatus.Current } document)
        {
            return [];
        }

        if (await store.ReadReferenceAsync<Patient>(document.Subject?.Reference, ct) is not { } patient)
        {
            logger.LogWarning("DocumentReference/{DocumentId}/_history/{Version} has no stored Patient subject; not routed", entry.Id, entry.Version);
            return [];
        }

        var now = clock.GetUtcNow();
        return [.. (await router.RouteAsync(document, patient, ct)).Select(target =>
            DeliveryTask.New(DeliveryTracker.DeliveryId(entry.Id, entry.Version, target), target, entry.Id, entry.Version, patient.Id!, now))];
    }
}
