using FhirCoordGateway.Core.Storage;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>
/// Feeds every registered <see cref="IChangeConsumer"/> with committed change-log entries, in commit order,
/// on one node at a time (the node that leads the consumer). A batch whose handler throws is handed out
/// again after a pause, so consumers must be idempotent and must deal with a bad entry themselves rather
/// than throw forever.
/// </summary>
public sealed class ChangeFeedRunner(
    IChangeFeed feed, IEnumerable<IChangeConsumer> consumers, IOptions<JobsOptions> options, ILogger<ChangeFeedRunner> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(consumers.Select(c => RunAsync(c, stoppingToken)));

    private async Task RunAsync(IChangeConsumer consumer, CancellationToken ct)
    {
        var settings = options.Value.ChangeFeed;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var leadership = await feed.TryLeadAsync(consumer.Name, ct);
                if (leadership is null)
                {
                    await Task.Delay(settings.FollowerRetry, ct);
                    continue;
                }

                await ConsumeAsync(consumer, settings, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Change consumer {Consumer} failed; retrying", consumer.Name);
                await Task.Delay(settings.ErrorPause, ct).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    private async Task ConsumeAsync(IChangeConsumer consumer, ChangeFeedOptions settings, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var entries = await feed.ReadAsync(consumer.Name, settings.BatchSize, ct);
            if (entries.Count == 0)
            {
                await Task.Delay(settings.PollInterval, ct);
                continue;
            }

            await consumer.HandleAsync(entries, ct);
            await feed.SaveAsync(consumer.Name, entries[^1].Position, ct);
        }
    }
}
