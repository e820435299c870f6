using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Workflows;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>The PPS and referral workflows and the coordination report (issue 7, docs/adr/0013).</summary>
public static class WorkflowServices
{
    public static void AddWorkflows(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<IVersionRule, PpsActivationRule>();
        services.AddSingleton<IVersionRule, ReferralLifecycle>();
        services.AddSingleton<WorkflowSearch>();
        services.AddSingleton<WorkflowTaskWriter>();
        services.AddSingleton<MtValidationHandler>();
        services.AddSingleton<PpsRevisionReview>();
        services.AddSingleton<CoordinationReport>();
        services.AddSingleton<ICapabilityContributor, WorkflowCapabilities>();
        services.AddSingleton<IChangeConsumer, ReferralTracking>();
        services.AddTransient<PpsRevisionJob>();
        if (builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>()?.RunServer ?? true)
        {
            services.AddHostedService<WorkflowJobsRegistration>();
        }
    }
}
