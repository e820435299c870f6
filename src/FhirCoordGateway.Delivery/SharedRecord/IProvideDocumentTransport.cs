namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// How documents reach the shared record: MHD over HTTP (<see cref="MhdHttpTransport"/>) today; an XDS.b transport
/// (ITI-41/ITI-18 over SOAP, as the real DMP speaks) would implement the same two calls. Failures are
/// <see cref="DeliveryFailedException"/>s, transient or not.
/// </summary>
public interface IProvideDocumentTransport
{
    /// <summary>The shared record's copy of the document with this uniqueId (ITI-67 / ITI-18), or null when it has none.</summary>
    Task<DeliveryReceipt?> FindAsync(string uniqueId, CancellationToken ct);

    /// <summary>Submits the document (ITI-65 / ITI-41); the receipt names the stored DocumentReference.</summary>
    Task<DeliveryReceipt> ProvideAsync(OutboundDocument document, CancellationToken ct);
}
