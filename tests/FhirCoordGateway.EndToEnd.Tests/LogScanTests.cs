using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Runs after the parallel collections of the end-to-end run, so that <see cref="SuiteLog"/> holds the logs of
/// every in-process gateway the run started.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogScanCollection
{
    public const string Name = "log scan (after the other collections)";
}

/// <summary>
/// The log scan of issue 8: after the end-to-end run, no INS, patient name or token of the test data appears in any
/// gateway's logs. Its own requests carry an INS, names and tokens (valid, invalid, expired) through successes and
/// failures of every kind, at the most verbose level, so that it proves something when run alone too.
/// </summary>
[Collection(LogScanCollection.Name)]
public sealed partial class LogScanTests
{
    /// <summary>Names the test data gives patients (TestData, the profiles' INS example).</summary>
    private static readonly string[] TestNames = ["Martin-e2e", "Camille", "LEFEBVRE"];

    [Fact]
    public async Task GivenTheEndToEndRun_ThenNoInsNameOrTokenInAnyGatewaysLogs()
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

        var own = string.Join("\n", sink.Events.Select(SuiteLog.Text));
        Assert.Contains(created.Id, own); // ids are logged: the scan sees the request events
        var text = SuiteLog.Instance.AllText();
        Assert.Contains(own.Split('\n')[0], text); // every gateway's events reach the suite log
        Assert.DoesNotContain(ins, text);
        Assert.DoesNotContain(family, text);
        Assert.DoesNotContain(given, text);
        foreach (var secret in new[] { token, badToken, expired })
        {
            Assert.DoesNotContain(secret, text);
            Assert.DoesNotContain(secret.Split('.')[2], text); // not even the signature part
        }

        // The rest of the run: any NIR-shaped number (an INS-NIR is 13 digits and a 2-digit key), any JWT, any test name.
        var events = text.Split('\n');
        if (events.Where(e => Nir().IsMatch(e) || Jwt().IsMatch(e)).ToList() is { Count: > 0 } leaks)
        {
            Assert.Fail("NIR-shaped numbers or tokens in the logs:\n" + string.Join("\n", leaks));
        }
        Assert.All(TestNames, name => Assert.DoesNotContain(name, text, StringComparison.Ordinal));
    }

    // Delimited: correlation ids (32 hex digits) hold digit runs of that length.
    [GeneratedRegex("(?<![0-9A-Za-z])[12][0-9]{14}(?![0-9A-Za-z])")]
    private static partial Regex Nir();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.")]
    private static partial Regex Jwt();
}
