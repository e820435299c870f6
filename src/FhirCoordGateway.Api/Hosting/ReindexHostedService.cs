using FhirCoordGateway.Core.Search.Reindex;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>
/// Runs queued <c>$reindex</c> jobs in the background (polling the job table, so any node may take a job and a
/// restarted node resumes from the recorded position). Hangfire replaces this loop later; <see cref="ReindexJob"/> stays.
/// </summary>
public sealed class ReindexHostedService(IReindexStore store, ReindexJob job, ILogger<ReindexHostedService> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await job.OfferReindexAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not compare the custom search parameters with the last start");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var id in await store.PendingAsync(stoppingToken))
                {
                    await job.RunAsync(id, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Reindex polling failed; retrying");
            }

            try
            {
                await Task.Delay(Poll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
