using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
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
        services.AddHangfire(cfg => cfg
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                // Its own pool: Hangfire's connections keep no state of ours and ours keep none of its.
                o => o.UseNpgsqlConnection(connectionString),
                new PostgreSqlStorageOptions
                {
                    SchemaName = "hangfire",
                    PrepareSchemaIfNecessary = true,
                    QueuePollInterval = jobs.QueuePollInterval,
                    InvisibilityTimeout = jobs.InvisibilityTimeout,
                    UseSlidingInvisibilityTimeout = true,
                    DistributedLockTimeout = TimeSpan.FromMinutes(1),
                }));
        if (jobs.RunServer)
        {
            services.AddHangfireServer(o =>
            {
                o.WorkerCount = jobs.WorkerCount;
                o.SchedulePollingInterval = jobs.SchedulePollingInterval;
                o.ServerCheckInterval = TimeSpan.FromSeconds(30);
            });
            services.AddHostedService<ChangeFeedRunner>();
        }
    }

    /// <summary>The dashboard, for local requests only (issue 8 puts it behind the admin scope).</summary>
    public static void MapJobsDashboard(this WebApplication app)
    {
        var path = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value.DashboardPath;
        app.UseHangfireDashboard(path, new DashboardOptions
        {
            Authorization = [new LocalRequestsOnlyAuthorizationFilter()],
            DisplayStorageConnectionString = false,
            AppPath = null,
        });
    }
}
