using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Subscriptions;

/// <summary>
/// Writes the server's status changes (handshake → active, failures → error) as new Subscription versions
/// through the normal update path, with If-Match on the version the decision was made from: if the client wrote
/// meanwhile, its version wins and the change is dropped.
/// </summary>
public sealed class SubscriptionStatusWriter(UpdateHandler update, IResourceStore store, ISubscriptionStore subscriptions)
{
    /// <returns>False when the Subscription changed since <paramref name="fromVersion"/>.</returns>
    public async Task<bool> WriteAsync(string id, int fromVersion, string status, string? error, CancellationToken ct)
    {
        var stored = await store.ReadAsync("Subscription", id, ct);
        if (stored?.Json is null || stored.Version != fromVersion)
        {
            return false;
        }

        var subscription = (Subscription)ResourceJson.Parse(stored.Json);
        subscription.StatusElement = new Code<Subscription.SubscriptionStatus>(
            Hl7.Fhir.Utility.EnumUtility.ParseLiteral<Subscription.SubscriptionStatus>(status));
        subscription.Error = error;
        WriteResult written;
        try
        {
            using (SubscriptionStatusScope.Server())
            {
                written = await update.HandleAsync("Subscription", id, subscription, fromVersion, ct);
            }
        }
        catch (FhirOutcomeException e) when (e.Kind == FailureKind.PreconditionFailed)
        {
            return false;
        }

        // Saved at once (not only when the change log reaches it) so the delivery job goes on without waiting.
        await subscriptions.SaveAsync(id, written.Stored.Version, status, written.Stored.Json, ct);
        return true;
    }
}
