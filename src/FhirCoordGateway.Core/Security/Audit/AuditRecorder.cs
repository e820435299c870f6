using System.Threading.Channels;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Records accesses as AuditEvents in the audit trail (ADR 0011, stored as ADR 0016 says). A request's writes carry
/// their AuditEvent in their own database transaction (<see cref="ForCommit"/>), as do the gateway's own transmissions
/// (<see cref="ForTransmission"/>). Reads, searches and refusals are queued (<see cref="RecordAsync"/>) and appended in
/// batches by <see cref="DrainAsync"/>: at once for a request that waits for its commit
/// (<see cref="AuditTrailOptions.CommitBeforeAnswer"/>), else within <see cref="AuditTrailOptions.FlushInterval"/>.
/// </summary>
// Why batches: one appended row costs PostgreSQL a few microseconds, one statement a few hundred (round trip,
// executor, commit), as much as the read it records. A batch of hundreds makes the trail a small fraction of a read.
// The queue is bounded: when the writer falls behind, requests wait for room, so the trail never lags without limit.
public sealed class AuditRecorder(AuditEventFactory events, AuditTrailOptions options)
{
    /// <summary>Writers running <see cref="DrainAsync"/> side by side: while one batch is appended, the next one gathers.</summary>
    public const int Writers = 2;

    private const int BatchSize = 1000;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Whether requests wait for their AuditEvent's commit before answering.</summary>
    public bool CommitBeforeAnswer => options.CommitBeforeAnswer;

    /// <summary>The AuditEvent a unit of work records just before it commits (its accesses so far).</summary>
    public AuditEntry ForCommit(RequestSecurity security, IReadOnlyList<string> entities) =>
        events.Build(new AuditRecord(security.Access, security.Request, 200, entities, security.CorrelationId));

    /// <summary>The AuditEvent of a transmission attempt, for the transaction that records the attempt.</summary>
    public AuditEntry ForTransmission(TransmissionRecord record) => events.Build(record);

    /// <summary>
    /// Queues the AuditEvent of a finished request (waiting for room when the queue is full). With
    /// <paramref name="untilCommitted"/> the task completes once it is committed (and fails if it could not be).
    /// </summary>
    public async Task RecordAsync(AuditRecord record, bool untilCommitted)
    {
        var committed = untilCommitted ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        await _queue.Writer.WriteAsync(new Pending(events.Build(record), committed));
        if (committed is not null)
        {
            await committed.Task;
        }
    }

    /// <summary>
    /// Appends queued AuditEvents, up to a batch per statement, until the queue is completed and empty. A failed append
    /// fails the requests waiting for it (they answer 500 rather than without a trail) and is retried with the others,
    /// after <paramref name="onFailure"/> has been told.
    /// </summary>
    public async Task DrainAsync(IResourceStore store, Action<Exception> onFailure, CancellationToken ct)
    {
        var batch = new List<Pending>(BatchSize);
        while (await _queue.Reader.WaitToReadAsync(ct))
        {
            Take(batch);
            if (batch.Count < BatchSize && batch.All(p => p.Committed is null))
            {
                // Nobody waits for these: let more gather, so that one statement carries many.
                await Task.Delay(options.FlushInterval, ct);
                Take(batch);
            }

            // The batch stays with this writer until it is appended: put back into a full queue, it could wait forever.
            while (batch.Count > 0)
            {
                try
                {
                    await store.RecordAuditAsync([.. batch.Select(p => p.Entry)], ct);
                    batch.ForEach(p => p.Committed?.TrySetResult());
                    batch.Clear();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    onFailure(e);
                    batch.ForEach(p => p.Committed?.TrySetException(e));
                    batch.RemoveAll(p => p.Committed is not null);
                    await Task.Delay(RetryDelay, ct);
                }
            }
        }
    }

    /// <summary>Stops accepting events; <see cref="DrainAsync"/> ends once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private void Take(List<Pending> batch)
    {
        while (batch.Count < BatchSize && _queue.Reader.TryRead(out var pending))
        {
            batch.Add(pending);
        }
    }

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource? Committed);
}

/// <summary>How reads', searches' and refusals' AuditEvents are appended (configuration <c>Security:Audit</c>, ADR 0016).</summary>
public sealed class AuditTrailOptions
{
    /// <summary>
    /// True: a request's answer starts only once its AuditEvent is committed (nothing answered can be missing from the
    /// trail after a crash; each request waits for an append). False (default): appended within <see cref="FlushInterval"/>
    /// of the answer; a process crash loses at most the events of that interval and of the queue.
    /// </summary>
    public bool CommitBeforeAnswer { get; set; }

    /// <summary>How long queued events nobody waits for gather before they are appended.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Events queued at most; beyond, requests wait for room.</summary>
    public int QueueCapacity { get; set; } = 20_000;
}
