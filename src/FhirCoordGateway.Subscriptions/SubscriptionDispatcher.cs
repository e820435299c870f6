using FhirCoordGateway.Core.Subscriptions;
using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Subscriptions;

/// <summary>Starts a subscription's sender now, in this process.</summary>
public interface ISubscriptionDeliveryQueue
{
    /// <summary>Runs the subscription's sender soon; a wake during a run makes it run once more after it.</summary>
    void Wake(string subscriptionId);
}

/// <summary>
/// Runs the subscriptions' senders in this process: at most one run per subscription at a time here (the
/// advisory lock in <see cref="SubscriptionSender"/> excludes other nodes), at most
/// <see cref="SubscriptionOptions.SenderConcurrency"/> runs at once. What a run leaves to do goes to the right
/// place: a retry after a failure becomes a durable Hangfire scheduled job (it survives a restart, and its
/// attempts and backoff are recorded by the sender); a heartbeat becomes an in-memory timer checked twice a second.
/// </summary>
// Design: one Hangfire job per wake cost about eight statements of Hangfire bookkeeping plus a 200 ms queue poll
// before the first byte went out, which dominated the commit-to-notification latency (docs/BENCHMARKS.md). Waking in
// process costs nothing; durability does not need the job, because events are durable rows and the wake flag plus
// the sweep restart any sender a crash interrupted.
public sealed class SubscriptionDispatcher(
    SubscriptionSender sender,
    ISubscriptionStore subscriptions,
    SubscriptionReader reader,
    IBackgroundJobClient jobs,
    SubscriptionOptions options,
    TimeProvider clock,
    ILogger<SubscriptionDispatcher> logger) : ISubscriptionDeliveryQueue, IHostedService, IDisposable
{
    private static readonly TimeSpan HeartbeatTick = TimeSpan.FromMilliseconds(500);

    private readonly object _gate = new();

    /// <summary>Subscriptions whose sender runs here; true when woken again during the run.</summary>
    private readonly Dictionary<string, bool> _running = new(StringComparer.Ordinal);

    private readonly Dictionary<string, DateTimeOffset> _heartbeats = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _runs = [];
    private readonly SemaphoreSlim _slots = new(options.SenderConcurrency);
    private readonly CancellationTokenSource _stopping = new();
    private Task _heartbeatLoop = Task.CompletedTask;
    private bool _stopped;

    public void Wake(string subscriptionId)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            if (_running.ContainsKey(subscriptionId))
            {
                _running[subscriptionId] = true;
                return;
            }

            _running[subscriptionId] = false;
            _heartbeats.Remove(subscriptionId);
            var run = Task.Run(() => RunAsync(subscriptionId));
            _runs.Add(run);
            run.ContinueWith(t => { lock (_gate) { _runs.Remove(t); } }, TaskScheduler.Default);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _heartbeatLoop = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_gate)
        {
            _stopped = true;
            running = [.. _runs, _heartbeatLoop];
        }

        // Outside the lock: cancellation callbacks may continue runs that take it.
        await _stopping.CancelAsync();

        // Senders stop between statements; what they did not send stays pending in the database.
        await Task.WhenAll(running).WaitAsync(cancellationToken).ContinueWith(_ => { }, CancellationToken.None);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _slots.Dispose();
    }

    private async Task RunAsync(string id)
    {
        var ct = _stopping.Token;
        while (true)
        {
            var outcome = SenderOutcome.Nothing;
            try
            {
                await _slots.WaitAsync(ct);
                try
                {
                    outcome = await sender.RunAsync(id, ct);
                }
                finally
                {
                    _slots.Release();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A database or serialisation failure: come back later rather than leave the events waiting for the sweep.
                logger.LogError(e, "Sender of Subscription {SubscriptionId} failed; retrying in {DelayMs} ms", id, (long)options.RetryBaseDelay.TotalMilliseconds);
                outcome = new SenderOutcome(options.RetryBaseDelay, null);
            }

            if (outcome.RetryAfter is { } delay)
            {
                jobs.Schedule<SubscriptionDeliveryJob>(j => j.RunAsync(id, CancellationToken.None), delay);
            }

            lock (_gate)
            {
                if (outcome.HeartbeatDue is { } due)
                {
                    _heartbeats[id] = due;
                }

                if (!_running[id] || _stopped)
                {
                    _running.Remove(id);
                    return;
                }

                _running[id] = false;
            }
        }
    }

    /// <summary>Wakes the subscriptions whose heartbeat is due; first arms those that are active when the node starts.</summary>
    private async Task HeartbeatLoopAsync()
    {
        var ct = _stopping.Token;
        try
        {
            await ArmActiveAsync(ct);
            using var timer = new PeriodicTimer(HeartbeatTick, clock);
            while (await timer.WaitForNextTickAsync(ct))
            {
                List<string> due;
                lock (_gate)
                {
                    var now = clock.GetUtcNow();
                    due = [.. _heartbeats.Where(h => h.Value <= now).Select(h => h.Key)];
                    due.ForEach(id => _heartbeats.Remove(id));
                }

                due.ForEach(Wake);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Heartbeats then fall back to the sweep's minute.
            logger.LogError(e, "Subscription heartbeat timer stopped");
        }
    }

    private async Task ArmActiveAsync(CancellationToken ct)
    {
        try
        {
            foreach (var state in await subscriptions.ListAsync(ct))
            {
                if (state.Status == SubscriptionStatusCodes.Active && reader.TryReadStored(state)?.HeartbeatSeconds is { } period)
                {
                    lock (_gate)
                    {
                        _heartbeats.TryAdd(state.Id, (state.LastSentAt ?? clock.GetUtcNow()) + TimeSpan.FromSeconds(period));
                    }
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The sweep covers them within a minute.
            logger.LogWarning(e, "Could not arm the heartbeats of active subscriptions at start");
        }
    }
}
