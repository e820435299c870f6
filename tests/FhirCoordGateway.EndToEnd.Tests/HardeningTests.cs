using System.Collections.Concurrent;
using System.Net;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Rate limiting per client (429 + Retry-After), security headers, and logs without patient data or tokens.</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task GivenClientOverItsRate_Then429WithRetryAfter_AndOtherClientsStillServed()
    {
        using var factory = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["Security:RateLimit:PermitsPerSecond"] = "1",
            ["Security:RateLimit:Burst"] = "2",
        });
        using var greedy = factory.ClientWith(TestTokens.Token("system/*.rs", clientId: "greedy-7f3a21"));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await greedy.GetAsync("/fhir/Patient?_count=1"));
        }

        var limited = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        var outcome = await Http.AssertOutcome(limited, HttpStatusCode.TooManyRequests, OperationOutcome.IssueType.Throttled);
        Assert.StartsWith("Too many requests", outcome.Issue[0].Diagnostics);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        using var other = factory.ClientWith(TestTokens.Token("system/*.rs", clientId: "modest-7f3a21"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/fhir/Patient?_count=1")).StatusCode);
    }

    [Theory]
    [InlineData("/fhir/Patient?_count=1", true, HttpStatusCode.OK)]
    [InlineData("/fhir/Patient?_count=1", false, HttpStatusCode.Unauthorized)]
    [InlineData("/fhir/Patient/missing-7f3a21", true, HttpStatusCode.NotFound)]
    [InlineData("/fhir/metadata", false, HttpStatusCode.OK)]
    public async Task GivenAnyAnswer_ThenSecurityHeaders(string path, bool withToken, HttpStatusCode status)
    {
        using var factory = new GatewayFactory();
        using var http = withToken ? factory.CreateClient() : factory.ClientWith(null);

        var response = await http.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("no-store", response.Headers.CacheControl!.ToString());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    /// <summary>
    /// The log scan of issue 8: requests carrying an INS, names and tokens (valid, invalid, expired), successes and
    /// failures of every kind; nothing of them may reach the logs.
    /// </summary>
    [Fact]
    public async Task GivenRequestsWithPatientDataAndTokens_ThenNoneOfItInTheLogs()
    {
        var sink = new CollectingSink();
        using var factory = GatewayFactory.With(new Dictionary<string, string> { ["Serilog:MinimumLevel:Default"] = "Verbose" }, s => s.AddSingleton<ILogEventSink>(sink));
        var ins = DocumentData.NewNir();
        var family = TestData.Unique("Logfamily");
        var given = TestData.Unique("Loggiven");
        var patient = DocumentData.InsPatient(ins, family);
        patient.Name[0].Given = [given];
        var token = TestTokens.Token("system/*.cruds", clientId: "logscan-client");
        var badToken = TestTokens.Token(new Api.Security.TokenRequest("system/*.cruds"), key: TestTokens.StrangerKey);
        var expired = TestTokens.Token(new Api.Security.TokenRequest("system/*.cruds"), now: DateTime.UtcNow.AddDays(-1));
        var client = factory.FhirWith(token);

        var created = (await client.CreateAsync(patient))!;
        await client.ReadAsync<Patient>($"Patient/{created.Id}");
        await client.SearchAsync<Patient>([$"identifier={TestData.InsNir}|{ins}"]);
        await client.SearchAsync<Patient>([$"family={family}", $"given={given}"]);
        created.BirthDate = "1975-03-15";
        await client.UpdateAsync(created);
        using var raw = factory.ClientWith(token);
        await raw.PostAsync("/fhir/Patient", Http.Json($$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}],"birthDate":"not-a-date-{{ins}}"}"""));
        await raw.GetAsync($"/fhir/Patient?identifier:bogus={ins}");
        using var bad = factory.ClientWith(badToken);
        await bad.GetAsync($"/fhir/Patient?identifier={TestData.InsNir}|{ins}");
        using var old = factory.ClientWith(expired);
        await old.GetAsync($"/fhir/Patient/{created.Id}");
        using var denied = factory.ClientWith(TestTokens.Token("system/Observation.r"));
        await denied.GetAsync($"/fhir/Patient?family={family}");
        await Task.Delay(500); // the audit writer logs nothing of them either: let it run

        var text = string.Join("\n", sink.Events.Select(e => e.RenderMessage() + " " + string.Join(" ", e.Properties.Select(p => p.Key + "=" + p.Value)) + " " + e.Exception));
        Assert.NotEmpty(sink.Events);
        Assert.Contains(created.Id, text); // ids are logged: the scan sees the request events
        Assert.DoesNotContain(ins, text);
        Assert.DoesNotContain(family, text);
        Assert.DoesNotContain(given, text);
        foreach (var secret in new[] { token, badToken, expired })
        {
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain(secret.Split('.')[2], text); // not even the signature part
        }
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public ConcurrentBag<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}
