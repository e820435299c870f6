using FhirCoordGateway.Core.Subscriptions;
using Hangfire;

namespace FhirCoordGateway.Subscriptions;

/// <summary>
/// Recurring (cron <see cref="SubscriptionOptions.SweepCron"/>): wakes the sender of every subscription
/// that is due for a heartbeat (<c>backport-heartbeat-period</c>), still has undelivered events with no retry
/// pending (a lost job, a crash), or is still waiting for its handshake. Extra jobs are harmless: one sender holds the lock.
/// </summary>
public sealed class SubscriptionSweepJob(ISubscriptionStore subscriptions, SubscriptionReader reader, ISubscriptionDeliveryQueue queue, TimeProvider clock)
{
    public const string RecurringId = "subscriptions-sweep";

    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var state in await subscriptions.ListAsync(ct))
        {
            if (state.Json is null || state.RetryAt > now)
            {
                continue;
            }

            var due = state.Status switch
            {
                SubscriptionStatusCodes.Requested => true,
                SubscriptionStatusCodes.Active => state.EventsSinceStart > state.DeliveredThrough
                    || reader.TryReadStored(state)?.HeartbeatSeconds is { } period
                    && !(now - state.LastSentAt < TimeSpan.FromSeconds(period)),
                _ => false,
            };
            if (due)
            {
                queue.Wake(state.Id);
            }
        }
    }
}
