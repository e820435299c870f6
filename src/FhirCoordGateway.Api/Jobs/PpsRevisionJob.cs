using FhirCoordGateway.Core.Workflows;
using Hangfire;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>
/// The daily Hangfire job that flags PPS plans past their revision date (<see cref="PpsRevisionReview"/>).
/// Registered as recurring job <see cref="Id"/> by the nodes that run background work.
/// </summary>
public sealed class PpsRevisionJob(PpsRevisionReview review)
{
    public const string Id = "pps-revision-review";

    /// <summary>Every day at 05:00 UTC (before the practices open in France).</summary>
    public const string Schedule = "0 5 * * *";

    [AutomaticRetry(Attempts = 3)]
    public Task RunAsync(CancellationToken ct) => review.RunAsync(today: null, ct);
}

/// <summary>Registers (or updates) the workflows' recurring jobs when the node starts.</summary>
public sealed class WorkflowJobsRegistration(IRecurringJobManager jobs) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        jobs.AddOrUpdate<PpsRevisionJob>(PpsRevisionJob.Id, j => j.RunAsync(CancellationToken.None), PpsRevisionJob.Schedule, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
