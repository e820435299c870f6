using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Security.Audit;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// The server-side state of one Subscription: the version it was read from, its status, and the delivery
/// counters. <see cref="EventsSinceStart"/> is the last event number given; <see cref="DeliveredThrough"/> the
/// last one the subscriber acknowledged (2xx).
/// </summary>
public sealed record SubscriptionState(
    string Id,
    int ResourceVersion,
    string Status,
    string? Json,
    long EventsSinceStart,
    long DeliveredThrough,
    int Failures,
    DateTimeOffset? LastSentAt,
    DateTimeOffset? RetryAt,
    string? LastError);

/// <summary>A change that concerns a subscription, before it has a number.</summary>
public sealed record NewSubscriptionEvent(
    string SubscriptionId, ChangeFeedPosition Change, string FocusType, string FocusId, int FocusVersion, ChangeOperation Operation, DateTimeOffset OccurredAt);

/// <summary>A durable event: <see cref="EventNumber"/> counts 1, 2, 3… per subscription, in change-log order.</summary>
public sealed record SubscriptionEvent(
    string SubscriptionId, long EventNumber, ChangeFeedPosition Change, string FocusType, string FocusId, int FocusVersion, ChangeOperation Operation, DateTimeOffset OccurredAt)
{
    public string FocusReference => $"{FocusType}/{FocusId}";
}

public enum NotificationKind
{
    Handshake,
    Heartbeat,
    EventNotification,
}

/// <summary>One HTTP attempt to reach a subscriber, as recorded (and shown by $status).</summary>
public sealed record DeliveryAttempt(
    string SubscriptionId, NotificationKind Kind, long? FirstEvent, long? LastEvent, DateTimeOffset AttemptedAt, int? HttpStatus, string? Error, bool Succeeded, int ElapsedMs);

/// <summary>Port to the subscription tables (migration 0005).</summary>
public interface ISubscriptionStore
{
    /// <summary>
    /// Records a Subscription version (<paramref name="json"/> null with status deleted). Older versions than the
    /// one stored are ignored, so replays and the status writer's early save never go back in time. A version
    /// with status <c>requested</c> resets the failure count.
    /// </summary>
    Task SaveAsync(string id, int version, string status, string? json, CancellationToken ct);

    Task<SubscriptionState?> GetAsync(string id, CancellationToken ct);

    /// <summary>Every subscription that is not deleted.</summary>
    Task<IReadOnlyList<SubscriptionState>> ListAsync(CancellationToken ct);

    /// <summary>
    /// Numbers and stores the events, in list order, in one transaction. An event whose (subscription, change)
    /// is already stored is skipped, so a replayed change never makes a second event. Returns the subscriptions
    /// that got at least one new event.
    /// </summary>
    Task<IReadOnlyList<string>> AppendAsync(IReadOnlyList<NewSubscriptionEvent> events, CancellationToken ct);

    /// <summary>Events after <paramref name="after"/> (and up to <paramref name="until"/>), in number order.</summary>
    Task<IReadOnlyList<SubscriptionEvent>> ReadEventsAsync(string id, long after, long? until, int max, CancellationToken ct);

    /// <summary>
    /// Sets the wake flags; returns the subscriptions whose flag was clear: the caller must start their delivery
    /// jobs. While a flag is set a job is queued, waiting for the lock or scheduled for a retry, and it will see the new events.
    /// </summary>
    Task<IReadOnlyList<string>> RequestWakeAsync(IReadOnlyList<string> ids, CancellationToken ct);

    /// <summary>Clears the wake flag (by the lock holder, before it looks for work) and returns the state, or null if unknown.</summary>
    Task<SubscriptionState?> ClearWakeAsync(string id, CancellationToken ct);

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the subscription's delivery lock (one sender per subscription);
    /// null on timeout. Disposing releases it.
    /// </summary>
    Task<IAsyncDisposable?> LockAsync(string id, TimeSpan wait, CancellationToken ct);

    /// <summary>
    /// Records an attempt and the state it leaves: events delivered through <paramref name="deliveredThrough"/>
    /// (when it succeeded), the failure count and the time of the next retry; and, in the same transaction, the
    /// attempt's AuditEvent version when there is one (<paramref name="audit"/>, issue 8).
    /// </summary>
    Task RecordAttemptAsync(DeliveryAttempt attempt, long? deliveredThrough, int failures, DateTimeOffset? retryAt, AuditEntry? audit, CancellationToken ct);

    /// <summary>The latest attempts, newest first.</summary>
    Task<IReadOnlyList<DeliveryAttempt>> ReadAttemptsAsync(string id, int max, CancellationToken ct);
}
