using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Several gateways live in one process (tests, benchmarks). Hangfire's default job activator is the process-wide
/// JobActivator.Current, set by whichever gateway configured Hangfire last: a gateway's jobs then ran with another
/// gateway's services and failed once that one was disposed (subscription tests got no handshake in full runs).
/// </summary>
public sealed class JobActivatorIsolationTests
{
    [Fact]
    public void GivenALaterGatewayDisposed_WhenTheFirstGatewayActivatesAJob_ThenItUsesItsOwnServices()
    {
        using var first = new GatewayFactory();
        _ = first.Server;
        using (var later = new GatewayFactory())
        {
            _ = later.Server;   // configures Hangfire after the first gateway did
        }

        var storage = first.Services.GetRequiredService<JobStorage>();
        using var connection = storage.GetConnection();
        var job = new BackgroundJob("1", Hangfire.Common.Job.FromExpression(() => Console.WriteLine()), DateTime.UtcNow);
        var scope = first.Services.GetRequiredService<JobActivator>()
            .BeginScope(new JobActivatorContext(connection, job, new JobCancellationToken(false)));
        try
        {
            Assert.Same(storage, scope.Resolve(typeof(JobStorage)));
        }
        finally
        {
            scope.Dispose();
        }
    }
}
