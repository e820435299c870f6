// Issue 6 benchmark: documents per second through the whole delivery pipeline and p95 from POST to delivered
// (the moment the shared record receives the ITI-65 bundle), against a local WireMock shared record.
// Phase "idle": documents posted one every 100 ms (the latency a GP sees on a quiet gateway).
// Phase "burst": documents posted as fast as N clients can (throughput of the pipeline).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

var connectionString = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("FHIRCOORD_BENCH_PG")
    ?? throw new ArgumentException("usage: <Npgsql connection string> [burst documents=2000] [clients=8] [idle documents=100]");
var burst = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var clients = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
var idle = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100;

for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
{
    if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
    {
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY", Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api"));
        break;
    }
}

// A fresh database: the change feed and Hangfire start empty.
var database = new NpgsqlConnectionStringBuilder(connectionString);
var benchDb = database.Database + "_delivery_bench";
await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres" }.ConnectionString))
{
    await admin.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{benchDb}\" WITH (FORCE)", admin).ExecuteNonQueryAsync();
    await new NpgsqlCommand($"CREATE DATABASE \"{benchDb}\"", admin).ExecuteNonQueryAsync();
}

database.Database = benchDb;

// The shared record: answers ITI-65 at once and notes when each document (by uniqueId) arrived.
var clock = Stopwatch.StartNew();
var arrived = new ConcurrentDictionary<string, double>();
// No request log: the benchmark keeps its own arrival times, and WireMock's log would grow with every document.
using var sharedRecord = WireMockServer.Start(new WireMock.Settings.WireMockServerSettings { MaxRequestLogCount = 0 });
sharedRecord.Given(Request.Create().WithPath("/fhir").UsingPost()).RespondWith(Response.Create().WithCallback(request =>
{
    var at = clock.Elapsed.TotalMilliseconds;
    var bundle = JsonNode.Parse(request.Body!)!;
    var response = new JsonArray();
    foreach (var entry in bundle["entry"]!.AsArray())
    {
        var resource = entry!["resource"]!;
        if ((string?)resource["resourceType"] == "DocumentReference")
        {
            arrived.TryAdd((string)resource["masterIdentifier"]!["value"]!, at);
        }

        response.Add(new JsonObject { ["response"] = new JsonObject { ["status"] = "201 Created", ["location"] = $"{resource["resourceType"]}/{Guid.NewGuid():N}" } });
    }

    return new ResponseMessage
    {
        StatusCode = 200,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/fhir+json") },
        BodyData = new BodyData
        {
            BodyAsString = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction-response", ["entry"] = response }.ToJsonString(),
            DetectedBodyType = BodyType.String,
        },
    };
}));

await using var gateway = new WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase>().WithWebHostBuilder(b =>
{
    b.UseEnvironment("Benchmark");
    b.UseSetting("ConnectionStrings:Fhir", database.ConnectionString);
    b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    b.UseSetting("Serilog:MinimumLevel:Override:Microsoft", "Warning");
    // The HTTP side's security is measured by its own benchmark (issue 8); here it would only add a token check per POST.
    b.UseSetting("Security:Enabled", "false");
    b.UseSetting("Jobs:RunServer", "true");
    b.UseSetting("Delivery:SharedRecord:BaseUrl", sharedRecord.Url + "/fhir");
    b.UseSetting("Delivery:SharedRecord:SourceOid", "1.2.250.1.999.7.3");
    b.UseSetting("Delivery:SharedRecord:DefaultCustodian:IdentifierSystem", "urn:oid:1.2.250.1.71.4.2.2");
    b.UseSetting("Delivery:SharedRecord:DefaultCustodian:IdentifierValue", "1999999999");
});
var http = gateway.CreateClient();
http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));

async Task<string> CreateAsync(string type, string json)
{
    using var response = await http.PostAsync($"/fhir/{type}", new StringContent(json, Encoding.UTF8, "application/fhir+json"));
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {type}: {(int)response.StatusCode} {body}");
    }

    return response.Headers.Location!.ToString().Split('/')[^3];
}

// Set-up (not measured): an author and 50 INS patients, made from the profiles' qualified INS example with other NIRs.
var author = await CreateAsync("Practitioner", """{"resourceType":"Practitioner","name":[{"family":"BENCH","given":["Alix"]}]}""");
var example = File.ReadAllText(Path.Combine(
    Environment.GetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY")!, "..", "..", "profiles", "examples", "fhircoord-patient-ins", "valid-lefebvre-qualified-nir.json"));
var patients = new List<string>();
for (var i = 0; i < 50; i++)
{
    var body = $"2{Random.Shared.Next(30, 99):00}{Random.Shared.Next(1, 13):00}{Random.Shared.Next(10, 96):00}{Random.Shared.Next(0, 1000):000}{Random.Shared.Next(0, 1000):000}";
    var nir = body + (97 - long.Parse(body, CultureInfo.InvariantCulture) % 97).ToString("00", CultureInfo.InvariantCulture);
    var patient = JsonNode.Parse(example)!.AsObject();
    foreach (var unstored in new[] { "id", "meta", "generalPractitioner", "managingOrganization" })
    {
        patient.Remove(unstored);
    }

    var identifiers = patient["identifier"]!.AsArray();
    foreach (var other in identifiers.Where(x => (string?)x!["system"] != "urn:oid:1.2.250.1.213.1.4.8").ToList())
    {
        identifiers.Remove(other);
    }

    identifiers[0]!["value"] = nir;
    foreach (var name in patient["name"]!.AsArray())
    {
        name!.AsObject().Remove("extension");
    }

    patients.Add(await CreateAsync("Patient", patient.ToJsonString()));
}

var posted = new ConcurrentDictionary<string, double>();
var sequence = 0;
async Task PostDocumentAsync()
{
    var n = Interlocked.Increment(ref sequence);
    var uniqueId = $"urn:oid:1.2.250.1.999.7.9.{Environment.ProcessId}.{n}";
    var json = $$"""
        {"resourceType":"DocumentReference","masterIdentifier":{"system":"urn:ietf:rfc:3986","value":"{{uniqueId}}"},"status":"current",
         "type":{"coding":[{"system":"http://loinc.org","code":"34112-3"}]},"subject":{"reference":"Patient/{{patients[n % patients.Count]}}"},
         "date":"2026-11-22T10:00:00+01:00","author":[{"reference":"Practitioner/{{author}}"}],
         "content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQgQ1JICiUlRU9GCg==","title":"CRH"} }]}
        """;
    posted[uniqueId] = clock.Elapsed.TotalMilliseconds;
    await CreateAsync("DocumentReference", json);
}

async Task WaitDeliveredAsync(int total)
{
    var deadline = clock.Elapsed + TimeSpan.FromMinutes(10);
    while (arrived.Count < total && clock.Elapsed < deadline)
    {
        await Task.Delay(20);
    }
}

double Percentile(IEnumerable<double> values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

IEnumerable<double> Latencies(IEnumerable<string> ids) => ids.Where(arrived.ContainsKey).Select(id => arrived[id] - posted[id]);

// Warm-up: JIT, prepared statements, Hangfire's first polls.
for (var i = 0; i < 20; i++)
{
    await PostDocumentAsync();
}

await WaitDeliveredAsync(20);

// Idle: one document every 100 ms.
var idleStart = posted.Count;
for (var i = 0; i < idle; i++)
{
    await PostDocumentAsync();
    await Task.Delay(100);
}

await WaitDeliveredAsync(idleStart + idle);
var idleIds = posted.OrderBy(p => p.Value).Skip(idleStart).Select(p => p.Key).ToList();

// Burst: as fast as the clients can post.
var burstStart = posted.Count;
var burstBegan = clock.Elapsed.TotalMilliseconds;
// The machine is shared: the CPU this process spent per document (gateway, WireMock, clients) is steadier than a rate.
var loadAtBurst = LoadAverage();
var cpuAtBurst = Process.GetCurrentProcess().TotalProcessorTime;
var remaining = burst;
await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
{
    while (Interlocked.Decrement(ref remaining) >= 0)
    {
        await PostDocumentAsync();
    }
}));
var postsDone = clock.Elapsed.TotalMilliseconds;
// Where the time goes: when routing has made every delivery Task (change feed + rules), against delivery itself.
var routedAt = double.NaN;
await using (var db = new NpgsqlConnection(database.ConnectionString))
{
    await db.OpenAsync();
    while (true)
    {
        var tasks = (long)(await new NpgsqlCommand("SELECT count(*) FROM resource WHERE res_type = 'Task'", db).ExecuteScalarAsync())!;
        if (tasks >= burstStart + burst)
        {
            routedAt = clock.Elapsed.TotalMilliseconds;
            break;
        }

        await Task.Delay(50);
    }
}

await WaitDeliveredAsync(burstStart + burst);
var burstCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtBurst;
var burstIds = posted.OrderBy(p => p.Value).Skip(burstStart).Select(p => p.Key).ToList();
var lastArrival = burstIds.Where(arrived.ContainsKey).Max(id => arrived[id]);

Console.WriteLine($"delivery benchmark: in-process gateway, WireMock shared record, {clients} clients; commit {Environment.GetEnvironmentVariable("BENCH_COMMIT") ?? "?"}");
Console.WriteLine();
Console.WriteLine("| phase | documents | delivered | posted/s | delivered/s | p50 POST→delivered | p95 POST→delivered | max |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
var idleLatencies = Latencies(idleIds).ToList();
Console.WriteLine(FormattableString.Invariant(
    $"| idle (1 every 100 ms) | {idle} | {idleLatencies.Count} | 10 | — | {Percentile(idleLatencies, 0.5):F0} ms | {Percentile(idleLatencies, 0.95):F0} ms | {idleLatencies.Max():F0} ms |"));
var burstLatencies = Latencies(burstIds).ToList();
Console.Error.WriteLine(FormattableString.Invariant(
    $"(burst: every delivery Task made {(routedAt - burstBegan) / 1000:F1} s after the first POST, the last document delivered after {(lastArrival - burstBegan) / 1000:F1} s)"));
Console.Error.WriteLine(FormattableString.Invariant(
    $"(burst: this process used {burstCpu.TotalSeconds:F1} s of CPU, {burstCpu.TotalMilliseconds / burst:F1} ms per document; load average {loadAtBurst} at its start, {LoadAverage()} at its end)"));
Console.WriteLine(FormattableString.Invariant(
    $"| burst ({clients} clients) | {burst} | {burstLatencies.Count} | {burst / ((postsDone - burstBegan) / 1000):F0} | {burstLatencies.Count / ((lastArrival - burstBegan) / 1000):F0} | {Percentile(burstLatencies, 0.5):F0} ms | {Percentile(burstLatencies, 0.95):F0} ms | {burstLatencies.Max():F0} ms |"));

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
