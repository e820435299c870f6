using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Export;
using FhirCoordGateway.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Export;

/// <summary>Registers bulk export (section <c>Export</c>): store, kick-off, runner, Hangfire job, CapabilityStatement entries.</summary>
public static class ExportServices
{
    public static void AddBulkExport(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ExportOptions>().Bind(builder.Configuration.GetSection(ExportOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ExportOptions>>().Value);
        services.AddSingleton<IExportStore, PostgresExportStore>();
        services.AddSingleton<ExportKickOff>();
        services.AddSingleton<ExportRunner>();
        services.AddTransient<BulkExportJob>();
        services.AddSingleton<ICapabilityContributor, ExportCapabilities>();
    }
}
