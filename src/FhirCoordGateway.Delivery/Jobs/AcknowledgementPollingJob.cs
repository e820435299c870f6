using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Delivery.SecureMessaging;
using FhirCoordGateway.Delivery.Tracking;
using Hangfire;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Delivery.Jobs;

/// <summary>
/// A recurring job (every minute, when <c>Delivery:SecureMessaging:Imap</c> is configured) that reads the MDNs
/// arrived in the gateway's mailbox and applies each to its delivery. An MDN for a delivery we do not know is
/// logged and consumed, so that it is not read again on every pass.
/// </summary>
public sealed class AcknowledgementPollingJob(ImapAcknowledgementReader reader, DeliveryTracker tracker, ILogger<AcknowledgementPollingJob> logger)
{
    public const string RecurringJobId = "mssante-acknowledgements";

    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var result = await reader.ReadAsync(async (acknowledgement, token) =>
        {
            try
            {
                await tracker.AcknowledgeAsync(acknowledgement, token);
            }
            catch (FhirOutcomeException ex) when (ex.Kind == FailureKind.NotFound)
            {
                logger.LogWarning("MDN for unknown delivery Task/{TaskId} ignored", acknowledgement.DeliveryId);
            }
        }, ct);
        logger.LogInformation("MSSanté mailbox read: {Applied} acknowledgements applied, {Rejected} messages were not MDNs", result.Applied, result.Rejected);
    }
}
