using System.Threading.Channels;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Records accesses as AuditEvent resources (ADR 0011). A request's writes carry their AuditEvent in their own
/// database transaction (<see cref="ForCommit"/>); reads, searches and refusals are committed before their answer
/// starts (<see cref="RecordAsync"/>), several requests' AuditEvents in one transaction by <see cref="DrainAsync"/>;
/// the gateway's own transmissions carry theirs in the transaction recording the attempt (<see cref="ForTransmission"/>).
/// </summary>
// Design: group commit. A request builds its AuditEvent version on its own thread, queues it and waits; a free
// writer (of Writers) takes everything waiting (up to a batch), writes it in one round trip and one transaction, and
// releases every waiter at once. A read thus pays one commit's latency, not a transaction of its own, and nothing it was answered
// for can be lost in a crash: the answer starts only after the commit.
public sealed class AuditRecorder(VersionFactory versions, IResourceIdGenerator ids, AuditEventFactory events)
{
    /// <summary>
    /// Writers running <see cref="DrainAsync"/> side by side: while one batch commits, the next one is already being
    /// written, so a request waits for about one commit, not for the commits queued before it.
    /// </summary>
    public const int Writers = 4;

    private const int BatchSize = 256;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();

    /// <summary>The AuditEvent version a unit of work writes just before it commits (its accesses so far).</summary>
    public NewVersion ForCommit(RequestSecurity security, IReadOnlyList<string> entities) =>
        Version(events.Build(new AuditRecord(security.Access, security.Request, 200, entities, security.CorrelationId)));

    /// <summary>The AuditEvent version of a transmission attempt, for the transaction that records the attempt.</summary>
    public NewVersion ForTransmission(TransmissionRecord record) => Version(events.Build(record));

    /// <summary>Writes the AuditEvent of a finished request; completes once it is committed, fails if it could not be.</summary>
    public Task RecordAsync(AuditRecord record)
    {
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite(new Pending(Version(events.Build(record)), committed));
        return committed.Task;
    }

    /// <summary>Queues the AuditEvent of a request nobody waits for (its answer never started: the client went away).</summary>
    public void RecordLater(AuditRecord record) => _queue.Writer.TryWrite(new Pending(Version(events.Build(record)), null));

    /// <summary>Writes queued AuditEvents, as many as are waiting (up to a batch) per transaction, until the queue is completed.</summary>
    public async Task DrainAsync(IResourceStore store, CancellationToken ct)
    {
        var batch = new List<Pending>(BatchSize);
        while (await _queue.Reader.WaitToReadAsync(ct))
        {
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await using (var uow = await store.BeginAsync(ct))
                {
                    await uow.WriteNewAsync([.. batch.Select(p => p.Version)], ct);
                    await uow.CommitAsync(ct);
                }

                batch.ForEach(p => p.Committed?.TrySetResult());
            }
            catch (Exception e)
            {
                // Waiting requests fail (they answer 500 rather than without a trail); the others are written later.
                batch.ForEach(p =>
                {
                    if (p.Committed is null)
                    {
                        _queue.Writer.TryWrite(p);
                    }
                    else
                    {
                        p.Committed.TrySetException(e);
                    }
                });
                throw;
            }
            finally
            {
                batch.Clear();
            }
        }
    }

    /// <summary>Stops accepting events; <see cref="DrainAsync"/> ends once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private NewVersion Version(Hl7.Fhir.Model.AuditEvent audit) => versions.Next(audit, ids.NewId(), previous: null);

    private sealed record Pending(NewVersion Version, TaskCompletionSource? Committed);
}
