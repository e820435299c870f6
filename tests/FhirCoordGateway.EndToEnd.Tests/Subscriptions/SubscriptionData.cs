using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests.Subscriptions;

/// <summary>Subscriptions and focus resources for the end-to-end tests.</summary>
public static class SubscriptionData
{
    public static Subscription Topic(string topic, string endpoint, string content = "full-resource", int? heartbeat = null, params string[] filters)
    {
        var subscription = new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested,
            Reason = "e2e",
            Criteria = topic,
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = endpoint,
                Payload = "application/fhir+json",
                Header = ["X-Subscriber-Key: key-7f3a21"],
            },
        };
        subscription.Meta = new Meta { Profile = [BackportUrls.SubscriptionProfile] };
        subscription.Channel.PayloadElement.AddExtension(BackportUrls.PayloadContent, new Code(content));
        if (heartbeat is { } h)
        {
            subscription.Channel.AddExtension(BackportUrls.HeartbeatPeriod, new UnsignedInt(h));
        }

        foreach (var f in filters)
        {
            subscription.CriteriaElement.AddExtension(BackportUrls.FilterCriteria, new FhirString(f));
        }

        return subscription;
    }

    public static Subscription Classic(string criteria, string endpoint, string? payload) => new()
    {
        Status = Subscription.SubscriptionStatus.Requested,
        Reason = "e2e classic",
        Criteria = criteria,
        Channel = new Subscription.ChannelComponent
        {
            Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = endpoint, Payload = payload, Header = ["X-Subscriber-Key: key-7f3a21"],
        },
    };

    /// <summary>A draft PPS: only the médecin traitant's $validate-by-mt makes one active.</summary>
    public static CarePlan Pps(string patientId, string title = "PPS") => new()
    {
        Status = RequestStatus.Draft,
        Intent = CarePlan.CarePlanIntent.Plan,
        Title = title,
        Subject = new ResourceReference("Patient/" + patientId),
        Category = [new CodeableConcept(SubscriptionTopics.PpsCategorySystem, "pps")],
    };

    /// <summary>Creates the subscription and waits until the server has made it active (handshake answered).</summary>
    public static async Task<Subscription> ActiveAsync(FhirClient fhir, Subscription subscription, Subscriber subscriber)
    {
        var created = await fhir.CreateAsync(subscription);
        await subscriber.WaitAsync(r => r.Count >= 1, "the handshake");
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            var read = await fhir.ReadAsync<Subscription>("Subscription/" + created!.Id);
            if (read!.Status == Subscription.SubscriptionStatus.Active)
            {
                return read;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Subscription/{created!.Id} did not become active.");
    }

    public static async Task<Subscription.SubscriptionStatus?> WaitForStatusAsync(FhirClient fhir, string id, Subscription.SubscriptionStatus status, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        Subscription? read = null;
        while (DateTime.UtcNow < until)
        {
            read = await fhir.ReadAsync<Subscription>("Subscription/" + id);
            if (read!.Status == status)
            {
                break;
            }

            await Task.Delay(100);
        }

        return read?.Status;
    }
}
