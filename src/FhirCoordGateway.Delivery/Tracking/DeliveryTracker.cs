using System.IO.Hashing;
using System.Text;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;
using FhirCoordGateway.Core.Security.Audit;

namespace FhirCoordGateway.Delivery.Tracking;

/// <summary>A delivery Task as stored, with the stored version its next change replaces.</summary>
public sealed record StoredDelivery(FhirTask Task, StoredResource Stored);

/// <summary>
/// Reads and changes delivery Tasks through the normal write path (so they are versioned, indexed and
/// searchable like any resource). Every change names the version it replaces, so two workers can never
/// both move the same delivery.
/// </summary>
public sealed class DeliveryTracker(IResourceStore store, UpdateHandler updates, TimeProvider clock)
{
    /// <summary>
    /// The delivery's id follows from the document version and the target, so routing the same change twice
    /// (after a crash) finds the Task it already made instead of making a second one.
    /// </summary>
    public static string DeliveryId(string documentId, int documentVersion, DeliveryTarget target)
    {
        var key = $"{documentId}|{documentVersion}|{DeliveryTask.ChannelCode(target.Channel)}|{target.Address}";
        return "dlv-" + Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(key)));
    }

    public async Task<StoredDelivery?> ReadAsync(string id, CancellationToken ct)
    {
        var stored = await store.ReadAsync("Task", id, ct);
        return StoreReferences.As<FhirTask>(stored) is { } task ? new StoredDelivery(task, stored!) : null;
    }

    /// <summary>
    /// Stores each of <paramref name="fresh"/> whose id has no Task yet, all in one transaction; returns, in order, what is
    /// stored and whether it is new. One transaction for a routing batch instead of one per Task (docs/adr/0017): a Task
    /// created meanwhile by another node makes the whole batch a 409, and the change feed routes it again, finding them all.
    /// </summary>
    public async Task<IReadOnlyList<(StoredDelivery Delivery, bool Created)>> EnsureAllAsync(IReadOnlyList<FhirTask> fresh, CancellationToken ct)
    {
        var result = new List<(StoredDelivery, bool)>(fresh.Count);
        if (fresh.Count == 0)
        {
            return result;
        }

        await using var uow = await store.BeginAsync(ct);
        foreach (var task in fresh)
        {
            var stored = await uow.ReadAsync("Task", task.Id!, ct);
            if (StoreReferences.As<FhirTask>(stored) is { } existing)
            {
                result.Add((new StoredDelivery(existing, stored!), false));
                continue;
            }

            // A deleted Task with this id gets its next version.
            var written = await updates.WriteServerBuiltAsync(uow, task, stored, ct);
            result.Add((new StoredDelivery((FhirTask)written.Resource, written.Stored), true));
        }

        await uow.CommitAsync(ct);
        return result;
    }

    /// <summary>Writes the changed <see cref="StoredDelivery.Task"/> if its stored version is still the current one (else 409).</summary>
    public Task<StoredDelivery> SaveAsync(StoredDelivery delivery, CancellationToken ct) => SaveAsync(delivery, audit: null, ct);

    /// <summary>
    /// Writes the changed <see cref="StoredDelivery.Task"/> if its stored version is still the current one (else 409), and
    /// <paramref name="audit"/> (the attempt's AuditEvent) in the same transaction.
    /// </summary>
    public async Task<StoredDelivery> SaveAsync(StoredDelivery delivery, AuditEntry? audit, CancellationToken ct)
    {
        delivery.Task.LastModifiedElement = new FhirDateTime(clock.GetUtcNow());
        return await WriteAsync(delivery.Task, delivery.Stored, audit, ct);
    }

    /// <summary>
    /// Applies a secure-messaging acknowledgement (MDN): <c>processed</c> marks the delivery acknowledged,
    /// an error marks it rejected with the code and label. Unknown deliveries give 404.
    /// </summary>
    public async Task<StoredDelivery> AcknowledgeAsync(Acknowledgement ack, CancellationToken ct)
    {
        var delivery = await ReadAsync(ack.DeliveryId, ct)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"No delivery Task/{ack.DeliveryId} for this acknowledgement.");
        DeliveryTask.Acknowledge(delivery.Task, ack);
        return await SaveAsync(delivery, ct);
    }

    /// <summary>An operator's re-queue of a failed delivery ($retry): back to queued with a fresh round of attempts (the last error stays).</summary>
    public async Task<StoredDelivery> RequeueAsync(string id, CancellationToken ct)
    {
        var delivery = await ReadAsync(id, ct) ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"Task/{id} is not known.");
        if (delivery.Task.Code?.Coding.Any(c => c.System == DeliveryTask.ChannelSystem) != true)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Task/{id} is not a document delivery.");
        }

        if (delivery.Task.Status != FhirTask.TaskStatus.Failed)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Conflict, $"Only a failed delivery can be retried; Task/{id} is {delivery.Task.Status?.ToString().ToLowerInvariant()}.");
        }

        DeliveryTask.Requeue(delivery.Task);
        return await SaveAsync(delivery, ct);
    }

    /// <summary>
    /// A delivery Task is built and changed only by this code (<see cref="DeliveryTask"/>), so it is written without
    /// the profile validation of clients' bodies (DeliveryTaskShapeTests proves every state valid); the attempt's
    /// AuditEvent, if any, goes in the same transaction.
    /// </summary>
    private async Task<StoredDelivery> WriteAsync(FhirTask task, StoredResource? current, AuditEntry? audit, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var written = await updates.WriteServerBuiltAsync(uow, task, current, ct);
        if (audit is not null)
        {
            await uow.RecordAuditAsync([audit], ct);
        }

        await uow.CommitAsync(ct);
        return new StoredDelivery((FhirTask)written.Resource, written.Stored);
    }
}
