using FhirCoordGateway.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>Ready means the database answers.</summary>
public sealed class PostgresReadinessCheck(IResourceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.IsAvailableAsync(cancellationToken)
            ? HealthCheckResult.Healthy("PostgreSQL answers")
            : HealthCheckResult.Unhealthy("PostgreSQL does not answer");
}
