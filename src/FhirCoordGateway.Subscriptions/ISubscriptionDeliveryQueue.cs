using Hangfire;

namespace FhirCoordGateway.Subscriptions;

/// <summary>Starts a subscription's delivery job now or later.</summary>
public interface ISubscriptionDeliveryQueue
{
    void Enqueue(string subscriptionId);

    void Schedule(string subscriptionId, TimeSpan delay);
}

/// <summary>The delivery jobs as Hangfire jobs (arguments: the subscription id only, STYLE §8.6).</summary>
public sealed class HangfireDeliveryQueue(IBackgroundJobClient jobs) : ISubscriptionDeliveryQueue
{
    public void Enqueue(string subscriptionId) =>
        jobs.Enqueue<SubscriptionDeliveryJob>(j => j.RunAsync(subscriptionId, CancellationToken.None));

    public void Schedule(string subscriptionId, TimeSpan delay) =>
        jobs.Schedule<SubscriptionDeliveryJob>(j => j.RunAsync(subscriptionId, CancellationToken.None), delay);
}
