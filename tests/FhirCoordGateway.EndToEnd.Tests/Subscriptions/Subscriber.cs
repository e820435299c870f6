using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace FhirCoordGateway.EndToEnd.Tests.Subscriptions;

/// <summary>One notification as the subscriber received it, with the status our stub answered.</summary>
public sealed record Received(string? Body, int AnsweredStatus, IDictionary<string, WireMock.Types.WireMockList<string>> Headers, DateTimeOffset At)
{
    public Resource Resource => new FhirJsonDeserializer().DeserializeResource(Body!);

    public Bundle Bundle => (Bundle)Resource;

    public Parameters Status => (Parameters)Bundle.Entry[0].Resource;

    public string Type => ((Code)Status.Parameter.Single(p => p.Name == "type").Value).Value;

    public IReadOnlyList<long> EventNumbers => Status.Parameter.Where(p => p.Name == "notification-event")
        .Select(p => long.Parse(((FhirString)p.Part.Single(x => x.Name == "event-number").Value).Value)).ToList();
}

/// <summary>A rest-hook subscriber on a local WireMock: answers 200 unless told to fail, and keeps what it received.</summary>
public sealed class Subscriber : IDisposable
{
    private readonly WireMockServer _server = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });

    public Subscriber() => Answer(200);

    public string Endpoint => _server.Urls[0] + "/hook";

    /// <summary>From now on every notification gets <paramref name="status"/>.</summary>
    public void Answer(int status)
    {
        _server.Reset();
        _server.Given(Request.Create().WithPath("/hook").UsingPost()).RespondWith(Response.Create().WithStatusCode(status));
    }

    public IReadOnlyList<Received> All => _server.LogEntries
        .Select(e => new Received(e.RequestMessage.Body, Convert.ToInt32(e.ResponseMessage.StatusCode, System.Globalization.CultureInfo.InvariantCulture),
            e.RequestMessage.Headers ?? new Dictionary<string, WireMock.Types.WireMockList<string>>(), e.RequestMessage.DateTime))
        .OrderBy(r => r.At)
        .ToList();

    /// <summary>The notifications answered with 2xx: what the subscriber really accepted.</summary>
    public IReadOnlyList<Received> Accepted => All.Where(r => r.AnsweredStatus is >= 200 and < 300).ToList();

    public async Task<IReadOnlyList<Received>> WaitAsync(Func<IReadOnlyList<Received>, bool> done, string what, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (done(All))
            {
                return All;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The subscriber did not receive {what} within {seconds} s; it received {All.Count} requests.");
    }

    public void Dispose() => _server.Stop();
}
