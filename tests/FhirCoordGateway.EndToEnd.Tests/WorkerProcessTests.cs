using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The same binary as an API node and as a worker (issue 6 §1), as real processes.</summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class WorkerProcessTests
{
    [Fact]
    public async Task The_worker_command_serves_health_but_not_the_fhir_api_or_the_dashboard()
    {
        await using var worker = await GatewayProcess.StartAsync(Settings("worker_mode"), worker: true);
        using var client = worker.Client();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("health/ready")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("fhir/metadata")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("hangfire")).StatusCode);
        Assert.Contains("Starting Hangfire Server", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_security_off_the_dashboard_answers_local_requests_and_refuses_others()
    {
        var settings = Settings("dashboard");
        settings["Security:Enabled"] = "false";
        await using var node = await GatewayProcess.StartAsync(settings);
        using var client = node.Client();

        var local = await client.GetAsync("hangfire");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Contains("Hangfire Dashboard", await local.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The in-process test server has no remote address, so the dashboard cannot call it local.
        await using var inProcess = GatewayFactory.WithSettings(new Dictionary<string, string> { ["Security:Enabled"] = "false" });
        var remote = await inProcess.CreateClient().GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, remote.StatusCode);
    }

    [Fact]
    public async Task With_security_on_the_dashboard_needs_the_admin_scope()
    {
        await using var gateway = new GatewayFactory();

        Assert.Equal(HttpStatusCode.Unauthorized, (await gateway.ClientWith(null).GetAsync("/hangfire")).StatusCode);
        var clinical = await gateway.ClientWith(TestTokens.Token("system/*.cruds")).GetAsync("/hangfire");
        Assert.False(clinical.IsSuccessStatusCode);
        var admin = await gateway.ClientWith(TestTokens.Token("system/admin")).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("Hangfire Dashboard", await admin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Settings(string database) => new()
    {
        ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase(database),
        ["Jobs:RunServer"] = "true",
    };
}

/// <summary>The MDN polling job is scheduled exactly when an IMAP mailbox is configured.</summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class RecurringJobTests
{
    [Fact]
    public async Task The_acknowledgement_polling_job_follows_the_imap_configuration()
    {
        var database = GatewayFactory.OwnDatabase("recurring_jobs");
        var secureMessaging = new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = database,
            ["Delivery:SecureMessaging:Host"] = "127.0.0.1",
            ["Delivery:SecureMessaging:SenderAddress"] = "passerelle-app@hopital.test.mssante.fr",
            ["Delivery:SecureMessaging:MessageIdDomain"] = "passerelle.test",
            ["Delivery:SecureMessaging:SourceId"] = "1.2.250.1.999.7.3",
            ["Delivery:SecureMessaging:LocalPatientIdOid"] = "1.2.250.1.999.7.4",
        };
        var withImap = new Dictionary<string, string>(secureMessaging)
        {
            ["Delivery:SecureMessaging:Imap:Host"] = "127.0.0.1",
            ["Delivery:SecureMessaging:Imap:UserName"] = "ack",
            ["Delivery:SecureMessaging:Imap:Password"] = "secret",
        };

        await using (var gateway = GatewayFactory.WithSettings(withImap))
        {
            Assert.Contains(FhirCoordGateway.Delivery.Jobs.AcknowledgementPollingJob.RecurringJobId, RecurringJobIds(gateway));
        }

        await using (var gateway = GatewayFactory.WithSettings(secureMessaging))
        {
            Assert.DoesNotContain(FhirCoordGateway.Delivery.Jobs.AcknowledgementPollingJob.RecurringJobId, RecurringJobIds(gateway));
        }
    }

    private static List<string> RecurringJobIds(GatewayFactory gateway)
    {
        _ = gateway.Server;
        using var connection = gateway.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection();
        return Hangfire.Storage.StorageConnectionExtensions.GetRecurringJobs(connection).Select(j => j.Id).ToList();
    }
}
