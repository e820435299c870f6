using System.Diagnostics;

namespace FhirCoordGateway.Benchmarks;

/// <summary>What one measured phase did.</summary>
public sealed record PhaseResult(
    int Round,
    string Name,
    int Clients,
    long Ops,
    long Errors,
    double Seconds,
    double P50Ms,
    double P99Ms,
    CpuSampler.Sample CpuBefore,
    CpuSampler.Sample CpuAfter,
    string? FirstError)
{
    public double Throughput => Seconds > 0 ? Ops / Seconds : 0;
}

/// <summary>
/// Runs one operation with N concurrent clients: first a warm-up (not measured), then a measured window that
/// ends after a fixed duration or a fixed number of operations, whichever comes first. Every client loops on
/// its own: it starts the next operation as soon as the previous one answered (closed loop).
/// </summary>
public sealed class LoadRunner(BenchOptions options, CpuSampler cpu)
{
    // One sequence for the whole run: operations that create patients never reuse a number.
    private long _sequence;

    /// <param name="operation">(client index, sequence number within the phase); throws <see cref="UnexpectedAnswerException"/>
    /// when the answer is not the expected one.</param>
    public async Task<PhaseResult> RunAsync(int round, string name, Func<int, long, Task> operation)
    {
        if (options.Warmup > TimeSpan.Zero)
        {
            await RunWindowAsync(operation, () => Interlocked.Increment(ref _sequence), options.Warmup, long.MaxValue, record: false);
        }

        var before = cpu.Take();
        var window = await RunWindowAsync(operation, () => Interlocked.Increment(ref _sequence), options.Duration, options.MaxOps, record: true);
        var after = cpu.Take();
        var latencies = window.Latencies;
        Array.Sort(latencies);
        return new PhaseResult(
            round, name, options.Clients, latencies.Length, window.Errors, window.Seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), before, after, window.FirstError);
    }

    /// <summary>Runs <paramref name="operation"/> for <paramref name="duration"/> without measuring it.</summary>
    public Task WarmAsync(Func<int, long, Task> operation, TimeSpan duration) =>
        RunWindowAsync(operation, () => Interlocked.Increment(ref _sequence), duration, long.MaxValue, record: false);

    private sealed record Window(long[] Latencies, long Errors, double Seconds, string? FirstError);

    private async Task<Window> RunWindowAsync(Func<int, long, Task> operation, Func<long> next, TimeSpan duration, long maxOps, bool record)
    {
        long started = 0;
        long errors = 0;
        string? firstError = null;
        var perClient = new List<long>[options.Clients];
        var clock = Stopwatch.StartNew();

        async Task Client(int client)
        {
            var mine = perClient[client] = new List<long>(4096);
            while (clock.Elapsed < duration && Interlocked.Increment(ref started) <= maxOps)
            {
                var t0 = Stopwatch.GetTimestamp();
                var ok = true;
                try
                {
                    await operation(client, next());
                }
                catch (Exception e) when (e is UnexpectedAnswerException or HttpRequestException or TaskCanceledException or Npgsql.NpgsqlException)
                {
                    Interlocked.CompareExchange(ref firstError, $"{e.GetType().Name}: {e.Message}", null);
                    ok = false;
                }

                var elapsed = Stopwatch.GetTimestamp() - t0;
                if (ok)
                {
                    mine.Add(elapsed);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                    if (Interlocked.Read(ref errors) > options.MaxErrors)
                    {
                        throw new TooManyErrorsException($"more than {options.MaxErrors} failed operations; first: {firstError}");
                    }
                }
            }
        }

        var clients = Enumerable.Range(0, options.Clients).Select(i => Task.Run(() => Client(i))).ToArray();
        await Task.WhenAll(clients);
        var seconds = clock.Elapsed.TotalSeconds;
        var latencies = record ? perClient.SelectMany(l => l).ToArray() : [];
        return new Window(latencies, errors, seconds, firstError);
    }

    private static double Percentile(long[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        // Nearest rank.
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}

/// <summary>An operation got an answer other than the one it expects (status, missing header, empty row).</summary>
public sealed class UnexpectedAnswerException(string message) : Exception(message);

/// <summary>A phase failed more often than --max-errors allows.</summary>
public sealed class TooManyErrorsException(string message) : Exception(message);
