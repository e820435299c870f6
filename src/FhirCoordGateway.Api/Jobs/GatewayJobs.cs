using Hangfire;
using Hangfire.AspNetCore;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.SecureMessaging;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>
/// Hangfire on the gateway's PostgreSQL (schema "hangfire"), and the change-feed consumers. Every node can
/// enqueue jobs; the nodes with <see cref="JobsOptions.RunServer"/> (the default, and the worker command)
/// run them. Jobs carry ids and versions, never payloads.
/// </summary>
public static class GatewayJobs
{
    public static void AddGatewayJobs(this WebApplicationBuilder builder, string connectionString)
    {
        var services = builder.Services;
        services.AddOptions<JobsOptions>().Bind(builder.Configuration.GetSection(JobsOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        var jobs = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        // Hangfire keeps its configuration in process-wide globals; the storage is built per container and
        // registered before AddHangfire (which only adds its own if none is there), so that two gateways in one
        // process (tests, benchmarks) never share or swap their job storage.
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
        // Our jobs carry ids and format nothing for people: capturing the caller's culture cost a job parameter at every
        // enqueue and its reads at every run (docs/BENCHMARKS.md, document delivery).
        GlobalJobFilters.Filters.Remove(typeof(CaptureCultureAttribute));
        // Nor do they use continuations (ContinueJobWith), whose filter reads a job parameter at every job's end, or the
        // dashboard's per-day and per-hour history charts, whose filter adds two counter rows per job (later merged by the
        // counters aggregator): three statements per job out of about twenty (docs/adr/0017). The succeeded and failed
        // totals and the real-time chart stay (they are kept by the states themselves).
        GlobalJobFilters.Filters.Remove(typeof(ContinuationsSupportAttribute));
        GlobalJobFilters.Filters.Remove(typeof(StatisticsHistoryAttribute));
        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = jobs.QueuePollInterval,
            InvisibilityTimeout = jobs.InvisibilityTimeout,
            UseSlidingInvisibilityTimeout = true,
            DistributedLockTimeout = TimeSpan.FromMinutes(1),
        };
        // Its own pool: Hangfire's connections keep no state of ours and ours keep none of its. It gets the settings of
        // our pools: without them every return of a connection (tens per job) cost a session reset round trip and every
        // statement a parse (docs/BENCHMARKS.md, document delivery). Hangfire keeps no session state either: its locks
        // are rows, its transactions explicit, and long polling (LISTEN) is off.
        var hangfireConnectionString = FhirCoordGateway.Storage.Postgres.ServiceCollectionExtensions.Builder(connectionString).ConnectionString;
        services.AddSingleton<JobStorage>(_ => new PostgreSqlStorage(new NpgsqlConnectionFactory(hangfireConnectionString, storageOptions), storageOptions));
        // Likewise the activator: AddHangfire's default returns JobActivator.Current, the one of whichever gateway in
        // the process resolved Hangfire's configuration last, so jobs could run (or fail, once it was disposed) with
        // another gateway's services.
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire(_ => { });
        if (jobs.RunServer)
        {
            services.AddHangfireServer((provider, o) =>
            {
                o.WorkerCount = jobs.WorkerCount;
                o.SchedulePollingInterval = jobs.SchedulePollingInterval;
                o.ServerCheckInterval = TimeSpan.FromSeconds(30);
            });
            services.AddHostedService<ChangeFeedRunner>();
        }
    }

    /// <summary>Registers (or removes) the recurring jobs, which are declared by configuration.</summary>
    public static void ScheduleRecurringJobs(this WebApplication app)
    {
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        if (app.Services.GetService<ImapAcknowledgementReader>() is not null)
        {
            recurring.AddOrUpdate<AcknowledgementPollingJob>(AcknowledgementPollingJob.RecurringJobId, j => j.RunAsync(CancellationToken.None), Cron.Minutely());
        }
        else
        {
            recurring.RemoveIfExists(AcknowledgementPollingJob.RecurringJobId);
        }
    }

    /// <summary>The dashboard, behind the admin scope (or local requests only when security is off).</summary>
    public static void MapJobsDashboard(this WebApplication app)
    {
        var path = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value.DashboardPath;
        app.UseHangfireDashboard(path, new DashboardOptions
        {
            Authorization = [new DashboardAuthorization()],
            DisplayStorageConnectionString = false,
            AppPath = null,
        }, app.Services.GetRequiredService<JobStorage>());
    }
}
