using System.Diagnostics;
using System.Globalization;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres;
using FhirCoordGateway.Storage.Postgres.Search;
using Hl7.Fhir.Model;
using Hl7.Fhir.FhirPath;
using Hl7.FhirPath;
using Hl7.Fhir.ElementModel;
using Hl7.FhirPath.Expressions;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Task = System.Threading.Tasks.Task;

// Search benchmark of issue 4 (see docs/BENCHMARKS.md, section "Search (issue 4)").
var pg = Arg("--pg") ?? throw new ArgumentException("--pg <connection string> is required");
var total = int.Parse(Arg("--count") ?? "1000000", CultureInfo.InvariantCulture);
var workers = int.Parse(Arg("--workers") ?? "4", CultureInfo.InvariantCulture);
var samples = int.Parse(Arg("--samples") ?? "400", CultureInfo.InvariantCulture);
var skipLoad = args.Contains("--skip-load");

var builder = new NpgsqlDataSourceBuilder(pg);
builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
builder.ConnectionStringBuilder.MaxPoolSize = 32;
await using var dataSource = builder.Build();
var genericBuilder = new NpgsqlDataSourceBuilder(pg);
genericBuilder.ConnectionStringBuilder.MaxAutoPrepare = 64;
genericBuilder.ConnectionStringBuilder.MaxPoolSize = 32;
var genericPlans = GenericPlanDataSource.Create(genericBuilder);
await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).RunAsync(CancellationToken.None);

var catalog = new SearchParameterCatalog(SearchProfiles.Load(FindProfiles()).SearchParameters);
var store = new PostgresResourceStore(dataSource);
var search = new PostgresSearchStore(dataSource, catalog, genericPlans);
var customPlansOnly = new PostgresSearchStore(dataSource, catalog); // the same searches without the generic-plan pool, for comparison
var parser = new SearchQueryParser(catalog);
var indexer = new SearchIndexer(catalog);
var versions = new VersionFactory(new NoProfileValidation(), indexer, TimeProvider.System);
var gen = new Generator(total);

if (args.Contains("--extract-only"))
{
    foreach (var (name, make) in new (string, Func<int, Resource>)[] { ("Patient", gen.Patient), ("CarePlan", gen.CarePlan) })
    {
        for (var i = 0; i < 200; i++)
        {
            indexer.Extract(make(i));
        }

        var swx = Stopwatch.StartNew();
        var rows = 0;
        for (var i = 0; i < 2000; i++)
        {
            rows += indexer.Extract(make(i)).Count;
        }

        var json = Stopwatch.StartNew();
        for (var i = 0; i < 2000; i++)
        {
            versions.Next(make(i), "x" + i, null);
        }

        Console.WriteLine($"{name}: extract {swx.Elapsed.TotalMilliseconds / 2000:F3} ms/resource ({rows / 2000} rows); Next() {json.Elapsed.TotalMilliseconds / 2000:F3} ms");
    }

    if (args.Contains("--per-parameter"))
    {
        var compiler = new Hl7.FhirPath.FhirPathCompiler(new Hl7.FhirPath.Expressions.SymbolTable().AddStandardFP().AddFhirExtensions());
        var node = gen.Patient(1).ToPocoNode();
        var ctx = new Hl7.Fhir.FhirPath.FhirEvaluationContext().WithResourceOverrides(node);
        foreach (var p in catalog.For("Patient"))
        {
            var f = compiler.Compile(p.Expression!);
            for (var i = 0; i < 50; i++) f.Invoke([node], ctx).ToList();
            var swp = Stopwatch.StartNew();
            for (var i = 0; i < 500; i++) f.Invoke([node], ctx).ToList();
            Console.WriteLine($"{swp.Elapsed.TotalMilliseconds * 1000 / 500,8:F1} us  {p.Code}  {p.Expression}");
        }
    }

    return;
}

Console.WriteLine($"# Search benchmark: {total:N0} resources, {workers} writers, {Environment.ProcessorCount} CPUs");
if (!skipLoad)
{
    var sw = Stopwatch.StartNew();
    // References point backwards (patients and practitioners first), so the write resolves them to res_ids.
    await LoadAsync("Patient", gen.Patients, gen.Patient);
    await LoadAsync("Practitioner", gen.Practitioners, gen.Practitioner);
    await LoadAsync("CareTeam", gen.CareTeams, gen.CareTeam);
    await LoadAsync("CarePlan", gen.CarePlans, gen.CarePlan);
    await LoadAsync("ServiceRequest", gen.ServiceRequests, gen.ServiceRequest);
    Console.WriteLine($"load: {total:N0} resources in {sw.Elapsed.TotalSeconds:F0} s ({total / sw.Elapsed.TotalSeconds:F0}/s)");
    await ExecAsync("ANALYZE");
}

Console.WriteLine($"database size: {await ScalarAsync<long>("SELECT pg_database_size(current_database())") / 1024 / 1024:N0} MiB; index rows: "
    + string.Join(", ", await Task.WhenAll(SearchIndexSqlTables().Select(async t => $"{t} {await ScalarAsync<long>($"SELECT count(*) FROM {t}"):N0}"))));

var rng = new Random(42);
var results = new List<(string Name, double P50, double P95)>();
results.Add(await MeasureAsync("read Patient/{id}", () => store.ReadAsync("Patient", gen.PatientId(rng.Next(gen.Patients)), CancellationToken.None)));
results.Add(await MeasureAsync("Patient?identifier=INS", () => Search("Patient", $"identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}")));
var identifierCustomPlans = await MeasureAsync("Patient?identifier=INS (main pool: custom plans)", () => Search("Patient", $"identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}", customPlansOnly));
results.Add(await MeasureAsync("Patient?family=<3-letter prefix>", () => Search("Patient", $"family={Generator.Families[rng.Next(Generator.Families.Length)][..3]}&_count=20")));
results.Add(await MeasureAsync("CarePlan?subject=Patient/{id}", () => Search("CarePlan", $"subject=Patient/{gen.PatientId(rng.Next(gen.Patients))}")));
results.Add(await MeasureAsync("CarePlan?subject:Patient.identifier=INS", () => Search("CarePlan", $"subject:Patient.identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}")));
results.Add(await MeasureAsync("Patient?identifier=INS&_revinclude=CarePlan:subject", () => Search("Patient", $"identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}&_revinclude=CarePlan:subject")));
var since = await ScalarAsync<DateTime>("SELECT min(last_updated) FROM resource WHERE res_type = 'Patient'");
results.Add(await MeasureSyncPagesAsync(since));
results.Add(identifierCustomPlans);

Console.WriteLine();
Console.WriteLine("| query | p50 ms | p95 ms |");
Console.WriteLine("|---|---|---|");
foreach (var (name, p50, p95) in results)
{
    Console.WriteLine($"| {name} | {p50:F2} | {p95:F2} |");
}

if (args.Contains("--http"))
{
    // The same reads and searches through the whole gateway in process: routing, authorization point, parsing,
    // Bundle building and JSON serialization on top of the store.
    await using var gateway = HttpGateway.Start(pg);
    var http = gateway.CreateClient();
    async Task Get(string path)
    {
        using var response = await http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync();
    }

    var httpResults = new List<(string Name, double P50, double P95)>
    {
        await MeasureAsync("HTTP read Patient/{id}", () => Get($"/fhir/Patient/{gen.PatientId(rng.Next(gen.Patients))}")),
        await MeasureAsync("HTTP Patient?identifier=INS", () => Get($"/fhir/Patient?identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}")),
        await MeasureAsync("HTTP CarePlan?subject:Patient.identifier=INS", () => Get($"/fhir/CarePlan?subject:Patient.identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}")),
        await MeasureAsync("HTTP Patient?identifier=INS&_revinclude=CarePlan:subject", () => Get($"/fhir/Patient?identifier={Generator.InsSystem}|{gen.Nir(rng.Next(gen.Patients))}&_revinclude=CarePlan:subject")),
    };
    foreach (var (name, p50, p95) in httpResults)
    {
        Console.WriteLine($"| {name} | {p50:F2} | {p95:F2} |");
    }

    Console.WriteLine($"HTTP identifier p95 / HTTP read p95 = {httpResults[1].P95 / httpResults[0].P95:F2}; HTTP chain p95 / HTTP read p95 = {httpResults[2].P95 / httpResults[0].P95:F2}");
}

var read95 = results[0].P95;
Console.WriteLine($"identifier p95 / read p95 = {results[1].P95 / read95:F2} (target <= 3); chain p95 / read p95 = {results[4].P95 / read95:F2} (target <= 10)");
Console.WriteLine($"identifier on the main pool (custom plans) p95 / read p95 = {identifierCustomPlans.Item3 / read95:F2}");

var creates = int.Parse(Arg("--creates") ?? "4000", CultureInfo.InvariantCulture);
var indexed = await CreatesAsync(new VersionFactory(new NoProfileValidation(), new SearchIndexer(catalog), TimeProvider.System), creates, "idx");
var unindexed = await CreatesAsync(new VersionFactory(new NoProfileValidation(), new SearchIndexer(catalog, new SearchOptions { IndexingEnabled = false }), TimeProvider.System), creates, "noidx");
var indexed2 = await CreatesAsync(new VersionFactory(new NoProfileValidation(), new SearchIndexer(catalog), TimeProvider.System), creates, "idx2");
Console.WriteLine($"creates/s (store level, {workers} writers): indexed {indexed:F0} and {indexed2:F0}, not indexed {unindexed:F0}; ratio {(indexed + indexed2) / 2 / unindexed:F2} (target >= 0.7)");
return;

async Task<SearchPage> Search(string type, string query, PostgresSearchStore? store = null) =>
    await (store ?? search).SearchAsync(parser.Parse(type, Pairs(query), strict: true), new SearchPaging(20, null, TotalMode.Default, 500), CancellationToken.None);

async Task<(string, double, double)> MeasureAsync(string name, Func<Task> run)
{
    for (var i = 0; i < 30; i++)
    {
        await run();
    }

    var times = new List<double>();
    for (var i = 0; i < samples; i++)
    {
        var sw = Stopwatch.StartNew();
        await run();
        times.Add(sw.Elapsed.TotalMilliseconds);
    }

    times.Sort();
    Console.WriteLine($"{name}: p50 {times[times.Count / 2]:F2} ms, p95 {times[(int)(times.Count * 0.95)]:F2} ms");
    return (name, times[times.Count / 2], times[(int)(times.Count * 0.95)]);
}

async Task<(string, double, double)> MeasureSyncPagesAsync(DateTime from)
{
    var times = new List<double>();
    for (var round = 0; round < samples / 10; round++)
    {
        var start = from.AddSeconds(rng.Next(0, 60));
        var query = parser.Parse("Patient", Pairs($"_lastUpdated=ge{start:yyyy-MM-ddTHH:mm:ss.fffZ}&_sort=_lastUpdated"), strict: true);
        PageCursor? cursor = null;
        for (var page = 0; page < 10; page++)
        {
            var sw = Stopwatch.StartNew();
            var result = await search.SearchAsync(query, new SearchPaging(100, cursor, TotalMode.None, 0), CancellationToken.None);
            times.Add(sw.Elapsed.TotalMilliseconds);
            cursor = result.Next;
            if (cursor is null)
            {
                break;
            }
        }
    }

    times.Sort();
    const string name = "Patient?_lastUpdated=ge..&_sort=_lastUpdated&_count=100 (sync pages, 10 deep)";
    Console.WriteLine($"{name}: p50 {times[times.Count / 2]:F2} ms, p95 {times[(int)(times.Count * 0.95)]:F2} ms");
    return (name, times[times.Count / 2], times[(int)(times.Count * 0.95)]);
}

async Task<double> CreatesAsync(VersionFactory factory, int count, string prefix)
{
    var next = -1;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var patient = gen.Patient(total + i);
            await using var uow = await store.BeginAsync(CancellationToken.None);
            var v = factory.Next(patient, $"bench-{prefix}-{Guid.NewGuid():N}", null);
            await uow.WriteAsync(v, null, CancellationToken.None);
            await uow.CommitAsync(CancellationToken.None);
        }
    })));
    return count / sw.Elapsed.TotalSeconds;
}

async Task LoadAsync(string type, int count, Func<int, Resource> make)
{
    var sw = Stopwatch.StartNew();
    var next = -1;
    const int batch = 200;
    await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
    {
        int start;
        while ((start = Interlocked.Add(ref next, batch) - batch + 1) < count)
        {
            // One transaction per batch; one write statement (version + index rows) per resource.
            await using var uow = await store.BeginAsync(CancellationToken.None);
            for (var i = start; i < Math.Min(start + batch, count); i++)
            {
                var resource = make(i);
                await uow.WriteAsync(versions.Next(resource, resource.Id!, null), null, CancellationToken.None);
            }

            await uow.CommitAsync(CancellationToken.None);
        }
    })));
    Console.WriteLine($"  {type}: {count:N0} in {sw.Elapsed.TotalSeconds:F0} s");
}

async Task ExecAsync(string sql)
{
    await using var cmd = dataSource.CreateCommand(sql);
    cmd.CommandTimeout = 0;
    await cmd.ExecuteNonQueryAsync();
}

async Task<T> ScalarAsync<T>(string sql)
{
    await using var cmd = dataSource.CreateCommand(sql);
    cmd.CommandTimeout = 0;
    return (T)(await cmd.ExecuteScalarAsync())!;
}

static string[] SearchIndexSqlTables() => ["resource", "sp_token", "sp_string", "sp_date", "sp_number", "sp_quantity", "sp_uri", "sp_reference", "sp_composite"];

static IEnumerable<KeyValuePair<string, string>> Pairs(string query) =>
    query.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string? FindProfiles()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (Directory.Exists(Path.Combine(dir.FullName, "profiles")) && File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
        {
            return Path.Combine(dir.FullName, "profiles");
        }
    }

    return null;
}

/// <summary>The gateway in process on the benchmark's database (as the transactions benchmark hosts it).</summary>
internal static class HttpGateway
{
    public static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase> Start(string connectionString)
    {
        // WebApplicationFactory finds the gateway's content root through this variable outside a test project.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api")))
            {
                Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_FHIRCOORDGATEWAY", Path.Combine(dir.FullName, "src", "FhirCoordGateway.Api"));
                break;
            }
        }

        return new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<FhirCoordGateway.Api.Http.FhirBase>().WithWebHostBuilder(b =>
        {
            b.UseSetting("environment", "Benchmark");
            b.UseSetting("ConnectionStrings:Fhir", connectionString);
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            b.UseSetting("Serilog:MinimumLevel:Override:Microsoft", "Warning");
            b.UseSetting("Security:Enabled", "false");
        });
    }
}
