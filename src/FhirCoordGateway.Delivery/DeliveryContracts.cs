using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery;

/// <summary>Everything a connector needs to send one stored document version; the delivery job loads it by id and version.</summary>
/// <param name="Document">The stored DocumentReference version (id and meta.versionId set).</param>
/// <param name="Content">The document's bytes (from its Binary or its inline attachment).</param>
/// <param name="Authors">The author resources the DocumentReference points to that could be read (Practitioner, PractitionerRole, Organization).</param>
/// <param name="Replaced">
/// The current versions of the DocumentReferences this one <c>replaces</c> (relatesTo), when the relation names them by
/// reference only: the shared record knows a replaced document by its uniqueId (masterIdentifier), which the reference lacks.
/// </param>
public sealed record OutboundDocument(
    DocumentReference Document,
    byte[] Content,
    string ContentType,
    Patient Patient,
    IReadOnlyList<Resource> Authors,
    Organization? Custodian,
    IReadOnlyList<DocumentReference>? Replaced = null);

/// <summary>What the peer said on success: the shared record's location of the stored document, or the sent message's id.</summary>
public sealed record DeliveryReceipt(string? RemoteReference, string? MessageId);

/// <summary>
/// A failed delivery attempt. <see cref="Transient"/> failures (5xx, timeouts, SMTP 4xx) are retried with
/// backoff; the others (4xx, SMTP 5xx) fail the delivery at once.
/// </summary>
public sealed class DeliveryFailedException(string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>Sends documents to the DMP-like shared record. The transport behind it is replaceable (MHD today, XDS.b later).</summary>
public interface ISharedRecordConnector
{
    /// <summary>
    /// Submits the document. When <paramref name="earlierAttemptUnknown"/> is true (an earlier attempt crashed or
    /// timed out before its answer was recorded), first asks the shared record whether the document's uniqueId
    /// is already stored and, if so, returns that receipt without submitting again.
    /// </summary>
    Task<DeliveryReceipt> SubmitAsync(OutboundDocument document, bool earlierAttemptUnknown, CancellationToken ct);
}

/// <summary>Sends documents by secure messaging (MSSanté).</summary>
public interface ISecureMessagingConnector
{
    /// <summary>
    /// Sends the document to <paramref name="recipientAddress"/>. <paramref name="deliveryId"/> makes the
    /// Message-ID (see <see cref="Acknowledgement.DeliveryId"/>), so acknowledgements map back to the delivery.
    /// </summary>
    Task<DeliveryReceipt> SendAsync(OutboundDocument document, string recipientAddress, string deliveryId, CancellationToken ct);
}

/// <summary>An MDN (RFC 8098) read back from the secure messaging: <c>processed</c>, or <c>processed/Error: code^label</c>.</summary>
/// <param name="DeliveryId">Taken from the Original-Message-ID the connector made from the delivery id.</param>
public sealed record Acknowledgement(string DeliveryId, bool Processed, string? ErrorCode, string? ErrorLabel);
