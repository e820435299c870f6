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
/// target and queues it for delivery (a routing lane's Tasks in one job, docs/adr/0017). Replaying an entry after a crash finds the Tasks already made (their ids follow
/// from the document and target) and only re-queues those still waiting.
/// </summary>
public sealed class DocumentRoutingConsumer(
    IResourceStore store, DocumentRouter router, DeliveryTracker tracker, IDeliveryQueue queue, TimeProvider clock,
    IOptions<DeliveryOptions> options, ILogger<DocumentRoutingConsumer> logger) : IChangeConsumer
{
    public string Name => "document-routing";

    public async Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct)
    {
        // Documents are independent of each other, so a batch is routed in several lanes at once (one document at a time,
        // the reads capped the pipeline at about 40 documents/s, docs/BENCHMARKS.md). Each lane takes every n-th document,
        // makes their Tasks in one transaction and queues those still ready as one job (docs/adr/0017).
        var documents = entries.Where(e => e is { ResourceType: "DocumentReference", Operation: ChangeOperation.Create }).ToList();
        if (documents.Count == 0)
        {
            return;
        }

        var lanes = Math.Min(documents.Count, options.Value.RoutingParallelism);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, lanes),
            new ParallelOptions { MaxDegreeOfParallelism = lanes, CancellationToken = ct },
            async (lane, token) => await RouteAsync([.. documents.Where((_, i) => i % lanes == lane)], token));
    }

    private async Task RouteAsync(IReadOnlyList<ChangeEntry> documents, CancellationToken ct)
    {
        var planned = new List<FhirTask>();
        foreach (var document in documents)
        {
            planned.AddRange(await PlanAsync(document, ct));
        }

        var deliveries = await tracker.EnsureAllAsync(planned, ct);
        if (deliveries.Where(d => d.Delivery.Task.Status == FhirTask.TaskStatus.Ready).Select(d => d.Delivery.Task.Id!).ToList() is { Count: > 0 } ready)
        {
            queue.EnqueueAll(ready);
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
