using FhirCoordGateway.Core.Export;
using Hangfire;

namespace FhirCoordGateway.Api.Jobs;

/// <summary>The Hangfire job of one bulk export; its only argument is the export id (STYLE §8.6).</summary>
public sealed class BulkExportJob(ExportRunner runner)
{
    // The runner records its own failures; a rerun (after a crash) starts the export over.
    [AutomaticRetry(Attempts = 2)]
    public Task RunAsync(Guid exportId, CancellationToken ct) => runner.RunAsync(exportId, ct);
}
