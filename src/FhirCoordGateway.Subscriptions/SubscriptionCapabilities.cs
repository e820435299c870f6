using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Subscriptions;

/// <summary>
/// Lists the published topics on the Subscription resource of the CapabilityStatement (backport extension
/// <c>capabilitystatement-subscriptiontopic-canonical</c>) and declares <c>$status</c> and <c>$events</c>.
/// </summary>
public sealed class SubscriptionCapabilities : ICapabilityContributor
{
    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        var subscription = rest.Resource.FirstOrDefault(r => r.Type == "Subscription");
        if (subscription is null)
        {
            return;
        }

        subscription.SupportedProfileElement.Add(new Canonical(BackportUrls.SubscriptionProfile));
        foreach (var topic in SubscriptionTopics.All)
        {
            subscription.Extension.Add(new Extension(BackportUrls.TopicCanonical, new Canonical(topic.Canonical)));
        }

        subscription.Operation.Add(new CapabilityStatement.OperationComponent
        {
            Name = "status",
            Definition = "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status",
        });
        subscription.Operation.Add(new CapabilityStatement.OperationComponent
        {
            Name = "events",
            Definition = "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events",
        });
    }
}
