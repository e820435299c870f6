// Issue 8 benchmark: GET by id and search by identifier, with authentication + authorization + audit on and off,
// in the same run and against the same database, the two gateways in process, rounds interleaved (off, on, off, on…).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using FhirCoordGateway.Api.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

var connectionString = args.FirstOrDefault() ?? Environment.GetEnvironmentVariable("FHIRCOORD_BENCH_PG")
    ?? throw new ArgumentException("usage: <Npgsql connection string> [clients=8] [seconds=10] [rounds=3]");
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var rounds = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;

// WebApplicationFactory finds the gateway's content root through this variable outside a test project.
for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
{
    if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
    {
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY", Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api"));
        break;
    }
}

const string issuer = "https://issuer.bench.fhircoord.example";
const string audience = "fhircoord-bench";
var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "bench-key" };

WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase> Gateway(bool secured) =>
    new WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase>().WithWebHostBuilder(b =>
    {
        b.UseEnvironment("Benchmark");
        b.UseSetting("ConnectionStrings:Fhir", connectionString);
        b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        b.UseSetting("Serilog:MinimumLevel:Override:Microsoft", "Warning");
        b.UseSetting("Security:Enabled", secured ? "true" : "false");
        b.UseSetting("Security:Issuers:0:Issuer", issuer);
        b.UseSetting("Security:Issuers:0:Audiences:0", audience);
        b.UseSetting("Security:Issuers:0:Jwks", SigningKeys.PublicJwks(key));
        // The limiter would cap the load generator itself; its cost is one bucket look-up either way.
        b.UseSetting("Security:RateLimit:PermitsPerSecond", "1000000");
        b.UseSetting("Security:RateLimit:Burst", "1000000");
    });

await using var off = Gateway(secured: false);
await using var on = Gateway(secured: true);
var token = TokenMinter.Mint(new TokenRequest("system/*.cruds", ClientId: "bench-client") { Lifetime = TimeSpan.FromHours(4) }, issuer, audience, key);
HttpClient Client(WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase> factory)
{
    var http = factory.CreateClient();
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    return http;
}

var httpOff = Client(off);
var httpOn = Client(on);

// Seed: patients with distinctive identifiers, through the gateway.
const string system = "urn:oid:1.2.250.1.71.4.2.7.999";
var run = Guid.NewGuid().ToString("N")[..8];
var patients = new List<(string Id, string Ipp)>();
for (var i = 0; i < 200; i++)
{
    var ipp = $"bench-sec-{run}-{i}";
    var body = $$"""{"resourceType":"Patient","identifier":[{"system":"{{system}}","value":"{{ipp}}"}],"name":[{"family":"Bench","given":["Sec"]}],"gender":"female","birthDate":"1970-01-01"}""";
    using var created = await httpOff.PostAsync("/fhir/Patient", new StringContent(body, Encoding.UTF8, "application/fhir+json"));
    created.EnsureSuccessStatusCode();
    patients.Add((created.Headers.Location!.ToString().Split('/')[^3], ipp));
}

Console.WriteLine($"security benchmark: {clients} clients, {seconds} s per phase, {rounds} rounds, {patients.Count} patients; in-process gateways on one PostgreSQL");
Func<HttpClient, int, Task> read = (http, n) => Ok(http.GetAsync($"/fhir/Patient/{patients[n % patients.Count].Id}"));
Func<HttpClient, int, Task> search = (http, n) => Ok(http.GetAsync($"/fhir/Patient?identifier={system}|{patients[n % patients.Count].Ipp}"));

if (Environment.GetEnvironmentVariable("BENCH_PROFILE") is { } profiled)
{
    // For a profiler attached to this process or the machine: one operation (read-on, read-off, search-on,
    // search-off) alone for 30 s after the warm-up (the "profiling" line marks its start).
    var secured = profiled.EndsWith("-on", StringComparison.Ordinal);
    var op = profiled.StartsWith("read", StringComparison.Ordinal) ? read : search;
    await WarmUpAsync(op);
    Console.WriteLine($"profiling: {profiled} for 30 s, pid {Environment.ProcessId}");
    var (methods, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
    Console.WriteLine($"  {await Phase(secured ? httpOn : httpOff, op, 30, drainAudit: secured):F0} ops/s");
    Console.WriteLine($"  JIT meanwhile: {System.Runtime.JitInfo.GetCompiledMethodCount() - methods} methods, {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms");
    return 0;
}

var results = new Dictionary<string, List<double>>();
foreach (var (name, op) in new[] { ("read", read), ("search", search) })
{
    await WarmUpAsync(op);
    for (var round = 0; round < rounds; round++)
    {
        foreach (var (mode, http) in new[] { ("off", httpOff), ("on", httpOn) })
        {
            var rate = await Phase(http, op, seconds, drainAudit: mode == "on");
            results.TryAdd($"{name} {mode}", []);
            results[$"{name} {mode}"].Add(rate);
            Console.WriteLine($"  round {round + 1} {name,-6} security {mode,-3}: {rate,8:F0} ops/s");
        }
    }
}

Console.WriteLine();
Console.WriteLine("| operation | security off (ops/s, median) | security on (ops/s, median) | on / off |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var name in new[] { "read", "search" })
{
    var offRate = Median(results[$"{name} off"]);
    var onRate = Median(results[$"{name} on"]);
    Console.WriteLine($"| {name} | {offRate:F0} | {onRate:F0} | {onRate / offRate:F2} |");
}

return 0;

// Both sides until the JIT has settled: under full load its single background thread takes minutes to recompile the
// hot methods at tier 1 (1,200 methods still compiled in the 30 s after a 15 s warm-up, 12 % of the CPU), and the
// side with more code of its own (security on) would pay for that in its rounds. Settled: fewer than 20 methods
// compiled during a pair of 3 s phases.
async Task WarmUpAsync(Func<HttpClient, int, Task> op)
{
    var clock = Stopwatch.StartNew();
    for (var compiled = System.Runtime.JitInfo.GetCompiledMethodCount(); clock.Elapsed < TimeSpan.FromMinutes(3);)
    {
        await Phase(httpOff, op, 3, drainAudit: false, quiet: true);
        await Phase(httpOn, op, 3, drainAudit: true, quiet: true);
        var now = System.Runtime.JitInfo.GetCompiledMethodCount();
        if (now - compiled < 20)
        {
            break;
        }

        compiled = now;
    }

    Console.WriteLine($"  warm-up: {clock.Elapsed.TotalSeconds:F0} s until the JIT settled ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled)");
}

// Reads' AuditEvents are appended within the flush interval of each answer (or before it, with CommitBeforeAnswer):
// if the trail still grows after the last answer, the phase lasts until it stops growing (that time counts, else the
// next phase would pay for it). It also reports AuditEvents per request.
async Task<double> Phase(HttpClient http, Func<HttpClient, int, Task> op, int duration, bool drainAudit, bool quiet = false)
{
    long done = 0;
    var before = drainAudit ? await AuditCountAsync() : 0;
    var cpuBefore = (Process: Process.GetCurrentProcess().TotalProcessorTime, Machine: MachineBusy());
    var stop = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(duration);
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        var n = c * 7919;
        while (stop.Elapsed < end)
        {
            await op(http, n++);
            Interlocked.Increment(ref done);
        }
    }));
    var elapsed = stop.Elapsed;
    var cpuAfter = (Process: Process.GetCurrentProcess().TotalProcessorTime, Machine: MachineBusy());
    if (drainAudit)
    {
        var atEnd = await AuditCountAsync();
        await Task.Delay(200);
        var last = await AuditCountAsync();
        if (last != atEnd)
        {
            for (var current = last; ; last = current)
            {
                await Task.Delay(100);
                current = await AuditCountAsync();
                if (current == last)
                {
                    break;
                }
            }

            elapsed = stop.Elapsed - TimeSpan.FromMilliseconds(100);
            if (!quiet) Console.WriteLine($"    (AuditEvents still written after the phase: {last - atEnd})");
        }

        if (!quiet) Console.WriteLine($"    AuditEvents per request: {(last - before) / (double)done:F3}");
    }

    // CPU per request, less sensitive to the machine's other load than the rate: this process (gateways, clients)
    // and the whole machine (mostly PostgreSQL besides), until the last answer (the drain above is not counted).
    if (!quiet) Console.WriteLine($"    CPU per request: process {(cpuAfter.Process - cpuBefore.Process).TotalMicroseconds / done:F0} µs, machine {(cpuAfter.Machine - cpuBefore.Machine).TotalMicroseconds / done:F0} µs");

    return done / elapsed.TotalSeconds;
}

// The trail's last sequence number: AuditEvents are numbered as they are appended, so it counts them (an index look-up).
async Task<long> AuditCountAsync()
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var count = new NpgsqlCommand("SELECT coalesce(max(seq), 0) FROM audit_event", connection);
    return (long)(await count.ExecuteScalarAsync())!;
}

// Busy CPU time of the whole machine since boot, from /proc/stat (user, nice, system, irq, softirq, steal; in USER_HZ ticks).
static TimeSpan MachineBusy()
{
    var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    var ticks = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
    return TimeSpan.FromSeconds(ticks / 100.0);
}

static async Task Ok(Task<HttpResponseMessage> request)
{
    using var response = await request;
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}");
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
