using System.Threading.Channels;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Records accesses as AuditEvent resources (ADR 0011). A request's writes carry their AuditEvent in their own
/// database transaction (<see cref="ForCommit"/>); reads, searches and refusals are queued
/// (<see cref="AfterRequest"/>) and written right after, in batches, by <see cref="DrainAsync"/>.
/// </summary>
// Design: a read costs one channel write here and a share of a multi-row transaction in the drain loop, instead
// of a transaction of its own on the request path. The price: events queued when the process dies are lost.
public sealed class AuditRecorder(VersionFactory versions, IResourceIdGenerator ids, AuditEventFactory events)
{
    private const int BatchSize = 256;
    private readonly Channel<AuditEvent> _queue = Channel.CreateBounded<AuditEvent>(
        new BoundedChannelOptions(50_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    /// <summary>The AuditEvent version a unit of work writes just before it commits (its accesses so far).</summary>
    public NewVersion ForCommit(RequestSecurity security, IReadOnlyList<string> entities)
    {
        var audit = events.Build(new AuditRecord(security.Access, security.Request, 200, entities, security.CorrelationId));
        return versions.Next(audit, ids.NewId(), previous: null);
    }

    /// <summary>Queues the AuditEvent of a finished request whose accesses no committed write recorded yet.</summary>
    public ValueTask AfterRequest(AuditRecord record, CancellationToken ct) => _queue.Writer.WriteAsync(events.Build(record), ct);

    /// <summary>Writes queued AuditEvents, as many as are waiting (up to a batch) per transaction, until <paramref name="ct"/> ends.</summary>
    public async Task DrainAsync(IResourceStore store, CancellationToken ct)
    {
        var batch = new List<AuditEvent>(BatchSize);
        while (await _queue.Reader.WaitToReadAsync(ct))
        {
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var audit))
            {
                batch.Add(audit);
            }

            await using (var uow = await store.BeginAsync(ct))
            {
                foreach (var audit in batch)
                {
                    await uow.WriteAsync(versions.Next(audit, ids.NewId(), previous: null), previous: null, ct);
                }

                await uow.CommitAsync(ct);
            }

            batch.Clear();
        }
    }

    /// <summary>Stops accepting events; <see cref="DrainAsync"/> ends once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();
}
