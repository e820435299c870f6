using Hangfire;

namespace FhirCoordGateway.Subscriptions;

/// <summary>
/// The durable retry of a failed delivery: scheduled by <see cref="SubscriptionDispatcher"/> after the backoff, it wakes
/// the subscription's sender on the node that runs it (argument: the subscription id only, STYLE §8.6).
/// </summary>
public sealed class SubscriptionDeliveryJob(ISubscriptionDeliveryQueue queue)
{
    /// <summary>Hangfire must not retry on its own: retries are the sender's, recorded and counted.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(string subscriptionId, CancellationToken ct)
    {
        queue.Wake(subscriptionId);
        return Task.CompletedTask;
    }
}
