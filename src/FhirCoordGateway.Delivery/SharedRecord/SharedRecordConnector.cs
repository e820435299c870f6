using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// Sends a document to the shared record once: when an earlier attempt may have reached it (crash or timeout
/// before its answer was recorded), asks first whether the document's uniqueId is already stored and returns that
/// receipt instead of submitting again. Transport-independent (see <see cref="IProvideDocumentTransport"/>).
/// </summary>
public sealed class SharedRecordConnector(IProvideDocumentTransport transport, ILogger<SharedRecordConnector> log) : ISharedRecordConnector
{
    public async Task<DeliveryReceipt> SubmitAsync(OutboundDocument document, bool earlierAttemptUnknown, CancellationToken ct)
    {
        var reference = $"DocumentReference/{document.Document.Id}/_history/{document.Document.Meta?.VersionId}";
        if (earlierAttemptUnknown && await transport.FindAsync(DocumentUniqueIds.UniqueId(document.Document), ct) is { } existing)
        {
            log.LogInformation("{DocumentReference} is already in the shared record as {RemoteReference}: not submitted again", reference, existing.RemoteReference);
            return existing;
        }

        var receipt = await transport.ProvideAsync(document, ct);
        log.LogInformation("{DocumentReference} stored in the shared record as {RemoteReference}", reference, receipt.RemoteReference);
        return receipt;
    }
}
