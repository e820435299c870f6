namespace FhirCoordGateway.Core.Storage;

/// <summary>The last attempt started at a piece of outbound work: its number, and the version of the work item it started from.</summary>
public sealed record StartedAttempt(int FromVersion, int Number);

/// <summary>
/// Durable note that an attempt at outbound work has started, written (committed) before the peer is contacted, so that
/// the item itself is written once per attempt, with the outcome (docs/adr/0008). An attempt that finds the last start
/// made from the item's current version knows that one died without recording its outcome: the peer may have the work.
/// </summary>
public interface IAttemptLog
{
    /// <summary>Records that attempt <paramref name="number"/> at <paramref name="key"/> starts from <paramref name="fromVersion"/>.</summary>
    Task StartAsync(string key, int fromVersion, int number, CancellationToken ct);

    /// <summary>The last attempt started at <paramref name="key"/>, or null when none has.</summary>
    Task<StartedAttempt?> LastStartedAsync(string key, CancellationToken ct);
}
