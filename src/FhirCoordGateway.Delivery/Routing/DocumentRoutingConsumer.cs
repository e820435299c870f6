using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    public Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct) =>
        // Documents are independent of each other (a delivery's order is its own job's business), so a batch is routed
        // several documents at a time: one at a time, the reads, the Task write and the enqueue of each document
        // capped the pipeline at about 40 documents/s (docs/BENCHMARKS.md).
        Parallel.ForEachAsync(
            entries.Where(e => e is { ResourceType: "DocumentReference", Operation: ChangeOperation.Create }),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.RoutingParallelism, CancellationToken = ct },
            async (entry, token) => await RouteAsync(entry, token));

    private async Task RouteAsync(ChangeEntry entry, CancellationToken ct)
    {
        if (StoreReferences.As<DocumentReference>(await store.ReadVersionAsync(entry.ResourceType, entry.Id, entry.Version, ct))
            is not { Status: DocumentReferenceStatus.Current } document)
        {
            return;
        }

        if (await store.ReadReferenceAsync<Patient>(document.Subject?.Reference, ct) is not { } patient)
        {
            logger.LogWarning("DocumentReference/{DocumentId}/_history/{Version} has no stored Patient subject; not routed", entry.Id, entry.Version);
            return;
        }

        var targets = await router.RouteAsync(document, patient, ct);
        foreach (var target in targets)
        {
            var id = DeliveryTracker.DeliveryId(entry.Id, entry.Version, target);
            var (delivery, created) = await tracker.EnsureAsync(
                DeliveryTask.New(id, target, entry.Id, entry.Version, patient.Id!, clock.GetUtcNow()), ct);
            if (delivery.Task.Status == Hl7.Fhir.Model.Task.TaskStatus.Ready)
            {
                queue.Enqueue(id);
            }

            if (created)
            {
                logger.LogInformation("Delivery Task/{TaskId} queued for DocumentReference/{DocumentId}/_history/{Version} ({Route})", id, entry.Id, entry.Version, target.Route);
            }
        }
    }
}
