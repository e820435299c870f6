using System.Net;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The same binary as an API node and as a worker (issue 6 §1), as real processes.</summary>
public sealed class WorkerProcessTests
{
    [Fact]
    public async Task The_worker_command_serves_health_but_not_the_fhir_api_or_the_dashboard()
    {
        await using var worker = await GatewayProcess.StartAsync(Settings("worker_mode"), worker: true);
        using var client = worker.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("fhir/metadata")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("hangfire")).StatusCode);
        Assert.Contains("Starting Hangfire Server", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_answers_local_requests_and_refuses_others()
    {
        await using var node = await GatewayProcess.StartAsync(Settings("dashboard"));
        using var client = node.Client();

        var local = await client.GetAsync("hangfire");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Contains("Hangfire Dashboard", await local.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The in-process test server has no remote address, so the dashboard cannot call it local.
        await using var inProcess = GatewayFactory.WithSettings(new Dictionary<string, string>());
        var remote = await inProcess.CreateClient().GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, remote.StatusCode);
    }

    private static Dictionary<string, string> Settings(string database) => new()
    {
        ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase(database),
        ["Jobs:RunServer"] = "true",
    };
}
