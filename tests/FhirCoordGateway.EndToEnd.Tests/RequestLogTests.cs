using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>One structured request-log event per request, with ids and no patient data.</summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task GivenSearchByIdentifier_ThenOneRequestEventWithIdsButNoQueryValues()
    {
        var sink = new CollectingSink();
        using var factory = GatewayFactory.With(s => s.AddSingleton<ILogEventSink>(sink));
        var ipp = TestData.Unique("log-secret");
        using var http = factory.CreateClient();
        await factory.Fhir().CreateAsync(TestData.Patient(ipp, "Secretname"));
        sink.Events.Clear();

        var response = await http.SendAsync(Http.Request(
            HttpMethod.Get, $"/fhir/Patient?identifier={TestData.Ipp}|{ipp}", null, ("X-Request-Id", "log-7f3a21")));

        response.EnsureSuccessStatusCode();
        var requestEvents = sink.Events.Where(e => e.MessageTemplate.Text.StartsWith("HTTP ")
            && e.Properties["CorrelationId"].ToString() == "\"log-7f3a21\"").ToList();
        var single = Assert.Single(requestEvents);
        Assert.Equal("\"log-7f3a21\"", single.Properties["CorrelationId"].ToString());
        Assert.Equal("\"Patient\"", single.Properties["ResourceType"].ToString());
        Assert.Equal("SearchType", single.Properties["Interaction"].ToString());
        Assert.Equal("\"/fhir/Patient\"", single.Properties["RequestPath"].ToString());
        Assert.Equal("200", single.Properties["StatusCode"].ToString());
        var everything = string.Join("\n", sink.Events.Select(e => e.RenderMessage() + string.Join(",", e.Properties.Values)));
        Assert.DoesNotContain(ipp, everything);
        Assert.DoesNotContain("Secretname", everything);
    }

    [Fact]
    public async Task GivenAnotherGatewayStoppedInTheSameProcess_ThenRequestEventsKeepTheirProperties()
    {
        var sink = new CollectingSink();
        using var factory = GatewayFactory.With(s => s.AddSingleton<ILogEventSink>(sink));
        using var http = factory.CreateClient();
        using (var other = GatewayFactory.With(_ => { }))
        {
            using var started = other.CreateClient();
        }

        // Serilog's hosting once bound these properties with the static logger, which the stopped gateway made a no-op.
        var response = await http.SendAsync(Http.Request(HttpMethod.Get, "/fhir/Patient?_count=1", null, ("X-Request-Id", "log-after-stop")));

        response.EnsureSuccessStatusCode();
        var single = Assert.Single(sink.Events, e => e.MessageTemplate.Text.StartsWith("HTTP ")
            && e.Properties.TryGetValue("CorrelationId", out var id) && id.ToString() == "\"log-after-stop\"");
        Assert.Equal("\"Patient\"", single.Properties["ResourceType"].ToString());
        Assert.Equal("SearchType", single.Properties["Interaction"].ToString());
    }
}
