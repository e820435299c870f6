using System.ComponentModel;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Routing;
using FhirCoordGateway.Delivery.SharedRecord;
using FhirCoordGateway.Delivery.Tracking;
using Hangfire;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Delivery.Jobs;

/// <summary>
/// One attempt at one delivery, run by Hangfire with the Task id only. Retries are ours, not Hangfire's:
/// a transient failure schedules the next attempt after the backoff delay, a permanent one (or the last
/// attempt) fails the delivery where an operator can see it and <c>$retry</c> it.
/// Exactly-once: attempts of the same delivery run one at a time (a lock on its id); each attempt marks its Task
/// in progress (committed) before contacting the peer; a finished delivery is never sent again; an attempt that
/// follows any earlier one (still in progress: it died before recording its answer; or failed with a timeout or an
/// error the peer may have answered after storing) asks the shared record whether the document already arrived
/// before submitting.
/// </summary>
public sealed class DeliveryJob(
    IResourceStore store,
    DeliveryTracker tracker,
    DocumentLoader loader,
    IDeliveryQueue queue,
    IOptions<DeliveryOptions> options,
    TimeProvider clock,
    ILogger<DeliveryJob> logger,
    ISharedRecordConnector? sharedRecord = null,
    ISecureMessagingConnector? secureMessaging = null,
    AuditRecorder? audit = null,
    IOptions<SharedRecordOptions>? sharedRecordOptions = null)
{
    /// <summary>
    /// Several deliveries queued together by routing (docs/adr/0017), attempted one after the other exactly as
    /// <see cref="RunAsync"/> attempts each: one Hangfire job's enqueue, fetch and state changes (about forty statements)
    /// shared by the batch. A delivery that cannot even be attempted (the database) does not stop the others; the job then
    /// fails, naming them, as a single delivery's job does.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Deliver a batch of Tasks (ids in the arguments)")]
    public async Task RunAllAsync(string[] taskIds, CancellationToken ct)
    {
        List<Exception>? failures = null;
        foreach (var taskId in taskIds)
        {
            try
            {
                await RunAsync(taskId, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogError(ex, "Delivery Task/{TaskId} could not be attempted", taskId);
                (failures ??= []).Add(ex);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException($"{failures.Count} of {taskIds.Length} deliveries could not be attempted.", failures);
        }
    }

    [AutomaticRetry(Attempts = 0)]
    [DisplayName("Deliver Task/{0}")]
    public async Task RunAsync(string taskId, CancellationToken ct)
    {
        // The lock lives as long as this transaction, which writes nothing; the Task changes commit on their own.
        await using var guard = await store.BeginAsync(ct);
        await guard.LockAsync($"delivery/{taskId}", ct);
        if (await tracker.ReadAsync(taskId, ct) is not { } delivery
            || delivery.Task.Status is not (FhirTask.TaskStatus.Ready or FhirTask.TaskStatus.InProgress))
        {
            return;
        }

        // Still in progress: an attempt started and never recorded its outcome (its process died), so the peer may have the
        // document. A recorded failure leaves it unknown too (a timeout, a reset or a 5xx can come after the peer stored it),
        // so every retry asks first.
        var task = delivery.Task;
        var earlierAttemptUnknown = task.Status == FhirTask.TaskStatus.InProgress || DeliveryTask.Attempts(task) > 0;
        // The attempts output was written when the dead attempt started, so it counts: a delivery that kills its process
        // every time still runs out of attempts.
        var attempt = DeliveryTask.Attempts(task) + 1;
        DeliveryTask.StartAttempt(task, attempt, clock.GetUtcNow());
        // Committed before the peer is contacted: anyone can see the attempt under way, and a later attempt that finds it
        // still in progress knows this one died.
        delivery = await tracker.SaveAsync(delivery, ct);
        task = delivery.Task;

        TimeSpan? retryIn = null;
        try
        {
            var receipt = await SendAsync(taskId, task, earlierAttemptUnknown, ct);
            DeliveryTask.Complete(task, receipt, clock.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A failure we did not classify (the database, a bug) is treated as transient: retrying is safe.
            var transient = ex is not DeliveryFailedException failed || failed.Transient;
            var message = ex is DeliveryFailedException ? ex.Message : $"Unexpected {ex.GetType().Name}";
            var policy = options.Value.Retry;
            retryIn = transient && attempt < policy.MaxAttempts ? policy.DelayAfter(attempt) : null;
            DeliveryTask.Fail(task, message, retryScheduled: retryIn is not null);
            logger.Log(
                ex is DeliveryFailedException ? LogLevel.Warning : LogLevel.Error,
                ex is DeliveryFailedException ? null : ex,
                "Delivery Task/{TaskId} attempt {Attempt} failed ({Transient}); {Next}",
                taskId, attempt, transient ? "transient" : "permanent", retryIn is null ? "failed" : $"retry in {retryIn}");
        }

        await tracker.SaveAsync(delivery, Audit(taskId, task, retryIn is not null), ct);
        if (retryIn is { } delay)
        {
            queue.Schedule(taskId, delay);
        }
    }

    /// <summary>The attempt's AuditEvent (issue 8): the document version and delivery sent where, and how it ended; null with security off.</summary>
    private AuditEntry? Audit(string taskId, FhirTask task, bool willRetry)
    {
        if (audit is null)
        {
            return null;
        }

        var shared = DeliveryTask.Channel(task) == DeliveryChannel.SharedRecord;
        var destination = shared ? sharedRecordOptions?.Value.BaseUrl is { Length: > 0 } url ? url : "shared-record" : DeliveryTask.Address(task) ?? "unknown";
        IReadOnlyList<string> entities =
        [
            $"DocumentReference/{DeliveryTask.DocumentId(task)}/_history/{DeliveryTask.DocumentVersion(task)}",
            $"Task/{taskId}",
            .. task.Owner?.Reference is { } recipient ? [recipient] : Array.Empty<string>(),
        ];
        var outcome = task.Status == FhirTask.TaskStatus.Completed ? TransmissionOutcome.Succeeded
            : willRetry ? TransmissionOutcome.WillRetry
            : TransmissionOutcome.Failed;
        return audit.ForTransmission(new TransmissionRecord(
            DeliveryTask.ChannelCode(DeliveryTask.Channel(task)), destination, entities, task.For?.Reference, outcome, task.StatusReason?.Text));
    }

    private async Task<DeliveryReceipt> SendAsync(string taskId, FhirTask task, bool earlierAttemptUnknown, CancellationToken ct)
    {
        var document = await loader.LoadAsync(DeliveryTask.DocumentId(task), DeliveryTask.DocumentVersion(task), ct);
        // A delivery queued before its channel was switched off fails visibly rather than waiting forever.
        return DeliveryTask.Channel(task) == DeliveryChannel.SharedRecord
            ? await (sharedRecord ?? throw NotConfigured("shared record")).SubmitAsync(document, earlierAttemptUnknown, ct)
            : await (secureMessaging ?? throw NotConfigured("secure messaging")).SendAsync(document, DeliveryTask.Address(task)!, taskId, ct);
    }

    private static DeliveryFailedException NotConfigured(string channel) => new($"No {channel} connector is configured on this node.", transient: false);
}

/// <summary>Queues delivery attempts; jobs carry Task ids only.</summary>
public interface IDeliveryQueue
{
    void Enqueue(string taskId);

    /// <summary>Queues the deliveries of <paramref name="taskIds"/> as one job, attempted one after the other.</summary>
    void EnqueueAll(IReadOnlyList<string> taskIds);

    void Schedule(string taskId, TimeSpan delay);
}

public sealed class HangfireDeliveryQueue(IBackgroundJobClient jobs) : IDeliveryQueue
{
    public void Enqueue(string taskId) => jobs.Enqueue<DeliveryJob>(j => j.RunAsync(taskId, CancellationToken.None));

    public void EnqueueAll(IReadOnlyList<string> taskIds)
    {
        if (taskIds.Count == 1)
        {
            Enqueue(taskIds[0]);
            return;
        }

        var ids = taskIds.ToArray();
        jobs.Enqueue<DeliveryJob>(j => j.RunAllAsync(ids, CancellationToken.None));
    }

    public void Schedule(string taskId, TimeSpan delay) => jobs.Schedule<DeliveryJob>(j => j.RunAsync(taskId, CancellationToken.None), delay);
}
