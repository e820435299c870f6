using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Subscriptions;

/// <summary>What a sender run leaves to do: a retry after a delay (a durable Hangfire job), or a heartbeat at a time (in process).</summary>
public sealed record SenderOutcome(TimeSpan? RetryAfter, DateTimeOffset? HeartbeatDue)
{
    public static readonly SenderOutcome Nothing = new(null, null);
}

/// <summary>
/// The one sender of a subscription: under its advisory lock it sends the handshake of a <c>requested</c>
/// subscription, then the pending events in event-number order (several per notification), then a heartbeat when
/// one is due. Each attempt is recorded; a failure is retried with exponential backoff, and after
/// <see cref="SubscriptionOptions.MaxAttempts"/> failures in a row the subscription goes to <c>error</c> (events
/// are still counted; the client replays them with <c>$events</c> or sets <c>requested</c> to resume delivery).
/// </summary>
// Design: the wake flag is cleared by the lock holder before it looks for work, and set by whoever appends
// events, who wakes a sender when it was clear. An event is thus either seen by the running holder or by a sender
// that waits for the lock: none is stranded. While a retry is pending the flag stays set, so new events do not
// start senders during a backoff.
public sealed class SubscriptionSender(
    ISubscriptionStore subscriptions,
    SubscriptionOperations operations,
    SubscriptionReader reader,
    NotificationBuilder builder,
    RestHookSender sender,
    SubscriptionStatusWriter statusWriter,
    SubscriptionOptions options,
    TimeProvider clock,
    ILogger<SubscriptionSender> logger,
    AuditRecorder? audit = null)
{
    private enum Step
    {
        More,

        /// <summary>Delivered everything that was pending when read: later events wake the sender again (the wake flag).</summary>
        SentAll,
        Done,
        RetryLater,
    }

    /// <summary>A backoff this close to its end is waited out holding the lock rather than rescheduled.</summary>
    private static readonly TimeSpan ShortWait = TimeSpan.FromSeconds(2);

    /// <summary>How long a sender waits for another node's sender of the same subscription.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    /// <summary>Sends whatever the subscription has to send now; says when to come back.</summary>
    public async Task<SenderOutcome> RunAsync(string subscriptionId, CancellationToken ct)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["SubscriptionId"] = subscriptionId });
        await using var held = await subscriptions.LockAsync(subscriptionId, LockWait, ct);
        if (held is null)
        {
            // Another node's sender has been busy for long: try again soon, the wake flag stays set for us.
            return new SenderOutcome(TimeSpan.FromSeconds(1), null);
        }

        while (true)
        {
            var state = await subscriptions.ClearWakeAsync(subscriptionId, ct);
            var (step, retryAfter) = await StepAsync(state, ct);
            switch (step)
            {
                case Step.Done:
                    return new SenderOutcome(null, HeartbeatDue(state, null));
                case Step.SentAll:
                    return new SenderOutcome(null, HeartbeatDue(state, clock.GetUtcNow()));
                case Step.RetryLater:
                    await subscriptions.RequestWakeAsync([subscriptionId], ct);
                    return new SenderOutcome(retryAfter, null);
            }
        }
    }

    /// <summary>When the next heartbeat is due: an active, healthy subscription with a heartbeat period only.</summary>
    private DateTimeOffset? HeartbeatDue(SubscriptionState? state, DateTimeOffset? sentAt) =>
        state is { Status: SubscriptionStatusCodes.Active } && state.Failures < options.MaxAttempts
            && reader.TryReadStored(state)?.HeartbeatSeconds is { } period
            ? (sentAt ?? state.LastSentAt ?? clock.GetUtcNow()) + TimeSpan.FromSeconds(period)
            : null;

    private async Task<(Step, TimeSpan?)> StepAsync(SubscriptionState? state, CancellationToken ct)
    {
        if (state is null || reader.TryReadStored(state) is not { } spec)
        {
            return (Step.Done, null);
        }

        if (state.RetryAt - clock.GetUtcNow() is { Ticks: > 0 } wait)
        {
            // Hangfire may start a delayed job a little early, and other wakes arrive during a backoff.
            if (wait > ShortWait)
            {
                return (Step.RetryLater, wait);
            }

            await Task.Delay(wait, clock, ct);
        }

        switch (state.Status)
        {
            case SubscriptionStatusCodes.Requested:
                return (await HandshakeAsync(state, spec, ct), null);
            case SubscriptionStatusCodes.Active when state.Failures < options.MaxAttempts:
                var max = spec.IsTopic ? spec.MaxCount ?? options.MaxEventsPerNotification : 1;
                var events = await subscriptions.ReadEventsAsync(state.Id, state.DeliveredThrough, null, max, ct);
                if (events.Count > 0)
                {
                    var (step, retry) = await DeliverAsync(state, spec, events, ct);
                    // Fewer than a full notification: nothing else was pending, so no second look (two statements saved per run).
                    return (step == Step.More && events.Count < max ? Step.SentAll : step, retry);
                }

                return spec.HeartbeatSeconds is { } period && !(clock.GetUtcNow() - state.LastSentAt < TimeSpan.FromSeconds(period))
                    ? await HeartbeatAsync(state, spec, ct)
                    : (Step.Done, null);
            default:
                return (Step.Done, null);
        }
    }

    private async Task<Step> HandshakeAsync(SubscriptionState state, SubscriptionSpec spec, CancellationToken ct)
    {
        var body = spec.IsTopic
            ? builder.Notification(spec, SubscriptionStatusCodes.Requested, "handshake", state.EventsSinceStart, [], clock.GetUtcNow())
            : null;
        var result = await sender.SendAsync(spec, body, ct);
        await RecordAsync(state, NotificationKind.Handshake, null, result, result.Succeeded ? 0 : 1, null, Audit(spec, [], result, final: true), ct);
        var status = result.Succeeded ? SubscriptionStatusCodes.Active : SubscriptionStatusCodes.Error;
        await statusWriter.WriteAsync(state.Id, state.ResourceVersion, status, result.Succeeded ? null : "Handshake failed: " + result.Error, ct);
        logger.LogInformation("Handshake of Subscription {SubscriptionId}: {Status}", state.Id, status);
        return result.Succeeded ? Step.More : Step.Done;
    }

    private async Task<(Step, TimeSpan?)> HeartbeatAsync(SubscriptionState state, SubscriptionSpec spec, CancellationToken ct)
    {
        var body = spec.IsTopic
            ? builder.Notification(spec, state.Status, "heartbeat", state.EventsSinceStart, [], clock.GetUtcNow())
            : null;
        var result = await sender.SendAsync(spec, body, ct);
        // After a heartbeat the loop reads the state once more: its new last-sent time gives the next heartbeat.
        return await AfterSendAsync(state, spec, NotificationKind.Heartbeat, null, [], result, ct);
    }

    private async Task<(Step, TimeSpan?)> DeliverAsync(SubscriptionState state, SubscriptionSpec spec, IReadOnlyList<SubscriptionEvent> events, CancellationToken ct)
    {
        var withFocus = await operations.WithFocusAsync(spec, events, ct);

        var body = spec.IsTopic
            ? builder.Notification(spec, state.Status, "event-notification", state.EventsSinceStart, withFocus, clock.GetUtcNow())
            : withFocus[0].Focus; // R4 classic: the resource itself, or an empty POST for payload none
        var result = await sender.SendAsync(spec, body, ct);
        var sent = withFocus.Where(e => !e.Withheld && spec.Content != PayloadContent.Empty).Select(e => $"{e.Event.FocusReference}/_history/{e.Event.FocusVersion}").ToList();
        return await AfterSendAsync(state, spec, NotificationKind.EventNotification, events, sent, result, ct);
    }

    /// <param name="sent">References of the focus versions the notification named (for its AuditEvent).</param>
    private async Task<(Step, TimeSpan?)> AfterSendAsync(
        SubscriptionState state, SubscriptionSpec spec, NotificationKind kind, IReadOnlyList<SubscriptionEvent>? events, IReadOnlyList<string> sent,
        SendResult result, CancellationToken ct)
    {
        if (result.Succeeded)
        {
            await RecordAsync(state, kind, events, result, 0, null, Audit(spec, sent, result, final: true), ct);
            return (Step.More, null);
        }

        var failures = state.Failures + 1;
        if (failures >= options.MaxAttempts)
        {
            await RecordAsync(state, kind, events, result, failures, null, Audit(spec, sent, result, final: true), ct);
            await statusWriter.WriteAsync(state.Id, state.ResourceVersion, SubscriptionStatusCodes.Error,
                $"{failures} failed attempts in a row; last: {result.Error}", ct);
            logger.LogWarning("Subscription {SubscriptionId} is in error after {Failures} failed attempts", state.Id, failures);
            return (Step.Done, null);
        }

        var delay = Backoff(failures);
        await RecordAsync(state, kind, events, result, failures, clock.GetUtcNow() + delay, Audit(spec, sent, result, final: false), ct);
        logger.LogInformation("Delivery to Subscription {SubscriptionId} failed ({Failures}); retry in {DelayMs} ms",
            state.Id, failures, (long)delay.TotalMilliseconds);
        return (Step.RetryLater, delay);
    }

    /// <summary>Base delay doubled per failure, capped.</summary>
    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(options.RetryMaxDelay.Ticks, options.RetryBaseDelay.Ticks * (1L << Math.Min(failures - 1, 30))));

    /// <param name="attemptAudit">The attempt's AuditEvent, written with the attempt (null with security off).</param>
    private Task RecordAsync(
        SubscriptionState state, NotificationKind kind, IReadOnlyList<SubscriptionEvent>? events, SendResult result, int failures,
        DateTimeOffset? retryAt, AuditEntry? attemptAudit, CancellationToken ct) =>
        subscriptions.RecordAttemptAsync(
            new DeliveryAttempt(state.Id, kind, events?[0].EventNumber, events?[^1].EventNumber, clock.GetUtcNow(),
                result.HttpStatus, result.Error, result.Succeeded, result.ElapsedMs),
            result.Succeeded ? events?[^1].EventNumber : null, failures, retryAt, attemptAudit, ct);

    /// <summary>
    /// The AuditEvent of one notification attempt (issue 8): the Subscription and the focus versions named, sent to the
    /// endpoint (without its query), and the outcome; a failure is final (<paramref name="final"/>) or retried later.
    /// </summary>
    private AuditEntry? Audit(SubscriptionSpec spec, IReadOnlyList<string> sent, SendResult result, bool final) =>
        audit?.ForTransmission(new TransmissionRecord(
            "rest-hook", TransmissionRecord.EndpointOf(spec.Endpoint), [$"Subscription/{spec.Id}", .. sent], null,
            result.Succeeded ? TransmissionOutcome.Succeeded : final ? TransmissionOutcome.Failed : TransmissionOutcome.WillRetry, result.Error));
}
