// Issue 7 benchmark: N topic subscriptions (PPS CarePlan, id-only) all matching M CarePlan updates written at a steady
// rate; for every (subscription, update) the latency from the update's meta.lastUpdated (stamped just before its commit)
// to the receipt of the notification carrying it at a local WireMock. Also checks that nothing is lost or duplicated.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Task = System.Threading.Tasks.Task;

var connectionString = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("FHIRCOORD_BENCH_PG")
    ?? throw new ArgumentException("usage: <Npgsql connection string> [subscriptions=100] [updates=1000] [updates/s=20]");
var subscriptionCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var updateCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
var rate = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 20;

for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
{
    if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
    {
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY", Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api"));
        break;
    }
}

using var hook = WireMockServer.Start(new WireMockServerSettings { Urls = ["http://127.0.0.1:0"] });
hook.Given(Request.Create().WithPath("/hook/*").UsingPost()).RespondWith(Response.Create().WithStatusCode(200));

await using var factory = new WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase>().WithWebHostBuilder(b =>
{
    b.UseEnvironment("Benchmark");
    b.UseSetting("ConnectionStrings:Fhir", connectionString);
    b.UseSetting("Subscriptions:AllowLoopbackHttp", "true");
    b.UseSetting("Security:Enabled", "false"); // this benchmark measures notifications, not authorization
    b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    b.UseSetting("Serilog:MinimumLevel:Override:Microsoft", "Warning");
});
var http = factory.CreateClient();
var json = new FhirJsonSerializer();
var parser = new FhirJsonDeserializer();
var run = Guid.NewGuid().ToString("N")[..8];
Console.WriteLine($"subscriptions={subscriptionCount} updates={updateCount} rate={rate}/s cpus={Environment.ProcessorCount} run={run}");

var patient = await PostAsync<Patient>("Patient", new Patient { Name = [new HumanName { Family = "Bench-" + run }] });
var subscriptions = new List<string>();
for (var i = 0; i < subscriptionCount; i++)
{
    var s = new Subscription
    {
        Status = Subscription.SubscriptionStatus.Requested,
        Reason = "benchmark",
        Criteria = SubscriptionTopics.PpsCarePlan.Canonical,
        Channel = new Subscription.ChannelComponent
        {
            Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = $"{hook.Urls[0]}/hook/{run}-{i}", Payload = "application/fhir+json",
        },
    };
    s.Channel.PayloadElement.AddExtension(BackportUrls.PayloadContent, new Code("id-only"));
    s.CriteriaElement.AddExtension(BackportUrls.FilterCriteria, new FhirString($"CarePlan?subject=Patient/{patient.Id}"));
    subscriptions.Add((await PostAsync<Subscription>("Subscription", s)).Id);
}

var activation = Stopwatch.StartNew();
while (hook.LogEntries.Count() < subscriptionCount)
{
    await Task.Delay(100);
}

Console.WriteLine($"{subscriptionCount} handshakes received in {activation.ElapsedMilliseconds} ms");
await Task.Delay(2000); // let the active versions reach the change consumer

var plans = new List<CarePlan>();
for (var i = 0; i < 10; i++)
{
    plans.Add(await PostAsync<CarePlan>("CarePlan", Plan(patient.Id, i)));
}

await Task.Delay(3000);
var warmup = hook.LogEntries.Count();
var committed = new Dictionary<string, DateTimeOffset>(); // "CarePlan/id/_history/v" → lastUpdated
var writes = Stopwatch.StartNew();
for (var n = 0; n < updateCount; n++)
{
    var due = TimeSpan.FromSeconds(n / rate) - writes.Elapsed;
    if (due > TimeSpan.Zero)
    {
        await Task.Delay(due);
    }

    var plan = plans[n % plans.Count];
    plan.Description = "revision " + n;
    var updated = await PutAsync(plan);
    plans[n % plans.Count] = updated;
    committed[$"CarePlan/{updated.Id}/_history/{updated.Meta.VersionId}"] = updated.Meta.LastUpdated!.Value;
}

Console.WriteLine($"{updateCount} updates written in {writes.ElapsedMilliseconds} ms");
var expected = (long)updateCount * subscriptionCount;
var wait = Stopwatch.StartNew();
List<double> latencies;
int duplicates;
while (true)
{
    (latencies, duplicates) = Measure();
    if (latencies.Count >= expected || wait.Elapsed > TimeSpan.FromMinutes(5))
    {
        break;
    }

    await Task.Delay(500);
}

latencies.Sort();
Console.WriteLine($"notifications expected {expected}, received events {latencies.Count}, duplicates {duplicates}, requests {hook.LogEntries.Count() - warmup}");
Console.WriteLine($"commit → receipt ms: p50 {P(0.50):0} p95 {P(0.95):0} p99 {P(0.99):0} max {latencies[^1]:0}");
return latencies.Count == expected && duplicates == 0 ? 0 : 1;

double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];

(List<double>, int) Measure()
{
    var seen = new HashSet<(string, long)>();
    var result = new List<double>();
    var dup = 0;
    foreach (var entry in hook.LogEntries.ToList())
    {
        var body = entry.RequestMessage.Body;
        if (body is null || !body.Contains("event-notification", StringComparison.Ordinal))
        {
            continue;
        }

        var bundle = (Bundle)parser.DeserializeResource(body);
        var status = (Parameters)bundle.Entry[0].Resource;
        var subscription = ((ResourceReference)status.Parameter.Single(p => p.Name == "subscription").Value).Reference;
        foreach (var e in status.Parameter.Where(p => p.Name == "notification-event"))
        {
            var number = long.Parse(((FhirString)e.Part.Single(p => p.Name == "event-number").Value).Value, CultureInfo.InvariantCulture);
            var focus = ((ResourceReference)e.Part.Single(p => p.Name == "focus").Value).Reference;
            if (!seen.Add((subscription, number)))
            {
                dup++;
                continue;
            }

            if (committed.TryGetValue(focus[(focus.IndexOf("CarePlan/", StringComparison.Ordinal))..], out var at))
            {
                result.Add((new DateTimeOffset(entry.RequestMessage.DateTime.ToUniversalTime()) - at).TotalMilliseconds);
            }
        }
    }

    return (result, dup);
}

static CarePlan Plan(string patientId, int i) => new()
{
    Status = RequestStatus.Draft,
    Intent = CarePlan.CarePlanIntent.Plan,
    Title = "PPS bench " + i,
    Subject = new ResourceReference("Patient/" + patientId),
    Category = [new CodeableConcept(SubscriptionTopics.PpsCategorySystem, "pps")],
};

async Task<T> PostAsync<T>(string type, T resource)
    where T : Resource
{
    var response = await http.PostAsync("/fhir/" + type, new StringContent(json.SerializeToString(resource), Encoding.UTF8, "application/fhir+json"));
    var text = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode ? (T)parser.DeserializeResource(text) : throw new InvalidOperationException($"POST {type}: {(int)response.StatusCode} {text}");
}

async Task<CarePlan> PutAsync(CarePlan plan)
{
    var response = await http.PutAsync($"/fhir/CarePlan/{plan.Id}", new StringContent(json.SerializeToString(plan), Encoding.UTF8, "application/fhir+json"));
    var text = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode ? (CarePlan)parser.DeserializeResource(text) : throw new InvalidOperationException($"PUT: {(int)response.StatusCode} {text}");
}
