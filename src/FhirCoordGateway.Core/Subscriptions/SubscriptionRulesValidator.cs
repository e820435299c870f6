using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// Adds the Subscription rules of <see cref="SubscriptionReader"/> to the profile validator, so every write path
/// (create, update, PATCH, bundles) refuses a Subscription the server could not serve, with 422 and every issue.
/// </summary>
public sealed class SubscriptionRulesValidator(IResourceValidator inner, SubscriptionReader reader) : IResourceValidator
{
    public OperationOutcome Validate(Resource resource)
    {
        var outcome = inner.Validate(resource);
        if (resource is Subscription subscription)
        {
            outcome.Issue.AddRange(reader.Read(subscription).Issues);
        }

        return outcome;
    }
}
