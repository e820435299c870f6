using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>
/// Decides where a new document goes by applying the configured rules (<see cref="DeliveryOptions.Routes"/>):
/// the shared record unless the patient opposed it, and the secure mailboxes of the chosen professionals,
/// never the document's own author.
/// </summary>
public sealed class DocumentRouter(
    IOptions<DeliveryOptions> options, IDeliveryChannels channels, SharingConsent consent, RecipientResolver recipients, IResourceStore store)
{
    public async Task<IReadOnlyList<DeliveryTarget>> RouteAsync(DocumentReference document, Patient patient, CancellationToken ct)
    {
        var targets = new List<DeliveryTarget>();
        var rules = options.Value.Routes.Where(r => r.Matches(document) && channels.IsConfigured(r.Channel)).ToList();
        if (rules.FirstOrDefault(r => r.Channel == DeliveryChannel.SharedRecord) is { } shared
            && !await consent.OpposesSharedRecordAsync(patient.Id!, ct))
        {
            targets.Add(new DeliveryTarget(DeliveryChannel.SharedRecord, null, null, shared.Name));
        }

        var authors = await AuthorsAsync(document, ct);
        foreach (var rule in rules.Where(r => r.Channel == DeliveryChannel.SecureMessaging))
        {
            foreach (var recipient in await recipients.ResolveAsync(patient, rule.Recipients, ct))
            {
                var isAuthor = authors.Contains(recipient.Reference) || (recipient.Practitioner is { } p && authors.Contains(p));
                if (!isAuthor && targets.All(t => t.Address != recipient.Address))
                {
                    targets.Add(new DeliveryTarget(DeliveryChannel.SecureMessaging, recipient.Address, recipient.Reference, rule.Name));
                }
            }
        }

        return targets;
    }

    /// <summary>The author references, with the practitioner behind each author PractitionerRole.</summary>
    private async Task<HashSet<string>> AuthorsAsync(DocumentReference document, CancellationToken ct)
    {
        var authors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in document.Author.Select(a => a.Reference).OfType<string>())
        {
            authors.Add(reference);
            // Only a PractitionerRole has a person behind it; reading a Practitioner or Organization author would find nothing more.
            if (reference.StartsWith("PractitionerRole/", StringComparison.Ordinal)
                && (await store.ReadReferenceAsync<PractitionerRole>(reference, ct))?.Practitioner?.Reference is { } person)
            {
                authors.Add(person);
            }
        }

        return authors;
    }
}

/// <summary>Which channels have a connector (configured in this deployment); rules for the others are skipped.</summary>
public interface IDeliveryChannels
{
    bool IsConfigured(DeliveryChannel channel);
}

/// <summary>A channel is configured when its connector is registered (AddSharedRecord / AddSecureMessaging).</summary>
public sealed class RegisteredConnectorChannels(ISharedRecordConnector? sharedRecord = null, ISecureMessagingConnector? secureMessaging = null)
    : IDeliveryChannels
{
    public bool IsConfigured(DeliveryChannel channel) =>
        channel == DeliveryChannel.SharedRecord ? sharedRecord is not null : secureMessaging is not null;
}
