using FhirCoordGateway.Core.Documents;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.Tracking;

/// <summary>
/// Loads what a connector sends from the store, by the ids and version the delivery Task names: jobs carry
/// ids, never payloads, so a re-run always sends the stored version.
/// </summary>
public sealed class DocumentLoader(IResourceStore store)
{
    public async Task<OutboundDocument> LoadAsync(string documentId, int version, CancellationToken ct)
    {
        var document = StoreReferences.As<DocumentReference>(await store.ReadVersionAsync("DocumentReference", documentId, version, ct))
            ?? throw Permanent($"DocumentReference/{documentId}/_history/{version} is not stored.");
        var attachment = document.Content.FirstOrDefault()?.Attachment
            ?? throw Permanent($"DocumentReference/{documentId} has no content.");
        var (content, contentType) = await ContentAsync(attachment, documentId, ct);
        var patient = await store.ReadReferenceAsync<Patient>(document.Subject?.Reference, ct)
            ?? throw Permanent($"DocumentReference/{documentId} has no stored patient subject.");
        var authors = new List<Resource>();
        foreach (var author in document.Author)
        {
            if (await store.ReadReferenceAsync<Resource>(author.Reference, ct) is { } resource)
            {
                authors.Add(resource);
            }
        }

        var custodian = await store.ReadReferenceAsync<Organization>(document.Custodian?.Reference, ct);
        var replaced = new List<DocumentReference>();
        foreach (var id in DocumentReplacement.ReplacedIds(document))
        {
            if (await store.ReadReferenceAsync<DocumentReference>($"DocumentReference/{id}", ct) is { } old)
            {
                replaced.Add(old);
            }
        }

        return new OutboundDocument(document, content, contentType, patient, authors, custodian, replaced);
    }

    private async Task<(byte[] Content, string ContentType)> ContentAsync(Attachment attachment, string documentId, CancellationToken ct)
    {
        if (attachment.Data is { } data)
        {
            return (data, attachment.ContentType ?? "application/octet-stream");
        }

        var binary = await store.ReadReferenceAsync<Binary>(attachment.Url, ct)
            ?? throw Permanent($"DocumentReference/{documentId}: the attachment's Binary ({attachment.Url}) is not stored.");
        return (binary.Data ?? [], attachment.ContentType ?? binary.ContentType ?? "application/octet-stream");
    }

    private static DeliveryFailedException Permanent(string message) => new(message, transient: false);
}
