using System.ComponentModel.DataAnnotations;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>Background work: the Hangfire server and the change-feed consumers (section "Jobs").</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>
    /// Runs the Hangfire server and the change-feed consumers in this process. False for a node that only
    /// answers HTTP while worker processes (<c>FhirCoordGateway worker</c>) do the background work.
    /// </summary>
    public bool RunServer { get; set; } = true;

    [Range(1, 64)]
    public int WorkerCount { get; set; } = 8;

    /// <summary>How often Hangfire looks for due scheduled jobs (retries with backoff are scheduled jobs).</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A job fetched by a node that died is handed to another worker after this long (the live server keeps
    /// extending it while the job runs).
    /// </summary>
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where the Hangfire dashboard is served (see <see cref="DashboardAuthorization"/>).</summary>
    public string DashboardPath { get; set; } = "/hangfire";

    public ChangeFeedOptions ChangeFeed { get; set; } = new();
}

public sealed class ChangeFeedOptions
{
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a node that does not lead a consumer checks whether the leader is gone.</summary>
    public TimeSpan FollowerRetry { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan ErrorPause { get; set; } = TimeSpan.FromSeconds(2);
}
