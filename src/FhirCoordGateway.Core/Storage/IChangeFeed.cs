namespace FhirCoordGateway.Core.Storage;

/// <summary>
/// Where a consumer stands in the change log: the writing transaction's id and the entry's sequence number.
/// Entries are read in (transaction, sequence) order, which is commit-safe (see <see cref="IChangeFeed"/>).
/// </summary>
public readonly record struct ChangeFeedPosition(ulong Transaction, long Seq)
{
    public static readonly ChangeFeedPosition Start = new(0, 0);
}

/// <summary>One committed write, as the change log recorded it.</summary>
public sealed record ChangeEntry(
    ChangeFeedPosition Position, string ResourceType, string Id, int Version, ChangeOperation Operation, DateTimeOffset ChangedAt)
{
    public string Reference => $"{ResourceType}/{Id}";
}

/// <summary>
/// The change log read as an outbox (docs/adr/0007): each named consumer keeps a durable position and reads
/// the entries after it. An entry is handed out only once every transaction that could still add an
/// entry before it has finished, so a consumer never skips a slow transaction's write, and never sees a
/// rolled-back one. Delivery is at least once: a consumer that crashes before <see cref="SaveAsync"/>
/// sees the same entries again, so its reactions must be idempotent.
/// </summary>
public interface IChangeFeed
{
    /// <summary>At most <paramref name="max"/> committed entries after the consumer's saved position, in order.</summary>
    Task<IReadOnlyList<ChangeEntry>> ReadAsync(string consumer, int max, CancellationToken ct);

    /// <summary>Saves the consumer's position: the entries up to <paramref name="handled"/> are done.</summary>
    Task SaveAsync(string consumer, ChangeFeedPosition handled, CancellationToken ct);

    /// <summary>
    /// Makes this node the only reader of <paramref name="consumer"/> until the returned handle is disposed,
    /// or returns null when another node leads it. Leadership ends by itself if the node dies.
    /// </summary>
    Task<IAsyncDisposable?> TryLeadAsync(string consumer, CancellationToken ct);
}

/// <summary>
/// A durable reaction to committed writes (document routing, subscriptions). The host runs each consumer
/// on one node at a time, feeding it batches in commit order; it must be idempotent (see <see cref="IChangeFeed"/>).
/// </summary>
public interface IChangeConsumer
{
    /// <summary>Stable name: the key of the consumer's saved position.</summary>
    string Name { get; }

    Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct);
}
