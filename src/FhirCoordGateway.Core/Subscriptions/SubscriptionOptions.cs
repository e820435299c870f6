using System.ComponentModel.DataAnnotations;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>Settings of section <c>Subscriptions</c>.</summary>
public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>
    /// Development only: accept <c>http</c> endpoints on a loopback host. Production accepts only <c>https</c>
    /// (issue 7 §4), so notifications never cross a network in clear.
    /// </summary>
    public bool AllowLoopbackHttp { get; set; }

    /// <summary>Failed deliveries in a row before the subscription goes to <c>error</c>.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>First retry delay; it doubles at each failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Events per notification Bundle when the subscription sets no <c>backport-max-count</c>.</summary>
    [Range(1, 1000)]
    public int MaxEventsPerNotification { get; set; } = 50;

    /// <summary>
    /// Senders running at once on a node. Each holds a pooled database connection (its lock) while it sends and uses a
    /// second one briefly: keep twice this well under the pool's Maximum Pool Size (100 by default).
    /// </summary>
    [Range(1, 64)]
    public int SenderConcurrency { get; set; } = 32;

    /// <summary>Request timeout when the subscription sets no <c>backport-timeout</c>.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Cron of the sweep that sends due heartbeats and restarts stalled deliveries.</summary>
    public string SweepCron { get; set; } = "* * * * *";

    /// <summary>Public base URL for references in notifications (defaults to <c>Fhir:BaseUrl</c>); relative references when unset.</summary>
    public string? BaseUrl { get; set; }
}
