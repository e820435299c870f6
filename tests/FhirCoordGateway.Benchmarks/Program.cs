using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FhirCoordGateway.Benchmarks;
using Npgsql;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

// Every operation of the run gets its own sequence number (1, 2, …), which picks its patient: identifiers never repeat.
var generator = new PatientGenerator(options.Seed, options.ClaimProfile);
var sample = generator.Build(0);
Log($"patient JSON: {sample.Length} bytes (create body), {generator.Build(0, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 1).Length} bytes (update body)");

// The raw side: one pooled data source, statements prepared like the gateway's (Max Auto Prepare).
var csb = new NpgsqlConnectionStringBuilder(options.ConnectionString) { ApplicationName = "fhircoord-bench" };
if (csb.MaxAutoPrepare == 0)
{
    csb.MaxAutoPrepare = 64;
}

csb.MaxPoolSize = Math.Max(csb.MaxPoolSize, options.Clients + 2);
await using var dataSource = NpgsqlDataSource.Create(csb.ConnectionString);
await CreateRawTableAsync(dataSource);

using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = options.Clients,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    UseProxy = false,
    AutomaticDecompression = DecompressionMethods.None,
})
{
    BaseAddress = options.BaseUrl,
    Timeout = TimeSpan.FromSeconds(30),
};
http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
// The gateway wants a bearer token (scripts/run.sh: `dotnet run -c Release --project src/FhirCoordGateway.Api -- token --scope "system/*.cruds"`).
if (Environment.GetEnvironmentVariable("BENCH_TOKEN") is { Length: > 0 } token)
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
}
using (var probe = await http.GetAsync("fhir/metadata"))
{
    if (probe.StatusCode != HttpStatusCode.OK)
    {
        Console.Error.WriteLine($"error: GET {options.BaseUrl}fhir/metadata answered {(int)probe.StatusCode}; is the gateway running?");
        return 1;
    }
}

// Pre-flight: one create must succeed, else say why (an OperationOutcome) rather than failing every operation.
using (var content = FhirContent(generator.Build(0)))
using (var first = await http.PostAsync("fhir/Patient", content))
{
    if (first.StatusCode != HttpStatusCode.Created)
    {
        Console.Error.WriteLine($"error: POST /fhir/Patient of a generated Patient answered {(int)first.StatusCode}:");
        Console.Error.WriteLine(await first.Content.ReadAsStringAsync());
        return 1;
    }
}

var cpu = new CpuSampler(options.GatewayPid, options.PostmasterPid);
var runner = new LoadRunner(options, cpu);
var results = new List<PhaseResult>();

var rawIds = Enumerable.Range(0, options.Clients).Select(_ => new List<string>()).ToArray();
var created = Enumerable.Range(0, options.Clients).Select(_ => new List<(string Id, long N)>()).ToArray();

var round = 0;
var prewarming = false;
string[] rawPool = [];
(string Id, long N)[] httpPool = [];
async Task<PhaseResult?> Phase(string name, Func<int, long, Task> op)
{
    if (prewarming)
    {
        if (name.StartsWith("HTTP", StringComparison.Ordinal))
        {
            Log($"pre-warming the gateway: {name}, {options.Prewarm.TotalSeconds / 4:0.#} s, not measured");
            try
            {
                await runner.WarmAsync(op, options.Prewarm / 4);
            }
            catch (TooManyErrorsException e)
            {
                Console.Error.WriteLine($"error: pre-warm of {name} aborted: {e.Message}");
                Environment.Exit(1);
            }
        }

        return null;
    }

    Log($"round {round}/{options.Rounds}, phase {name}: {options.Clients} clients, warm-up {options.Warmup.TotalSeconds:0.#} s, measure {options.Duration.TotalSeconds:0.#} s");
    PhaseResult r;
    try
    {
        r = await runner.RunAsync(round, name, op);
    }
    catch (TooManyErrorsException e)
    {
        Console.Error.WriteLine($"error: phase {name} aborted: {e.Message}");
        Environment.Exit(1);
        throw;
    }

    Log($"  {r.Ops} ops in {r.Seconds:0.0} s = {r.Throughput:0.0} ops/s, p50 {r.P50Ms:0.00} ms, p99 {r.P99Ms:0.00} ms, {r.Errors} errors{(r.FirstError is null ? "" : " (" + r.FirstError + ")")}");
    results.Add(r);
    return r;
}

// Round 0 is a pre-warm of the gateway (JIT tiering of the SDK takes seconds, more on a busy machine): HTTP phases only, unmeasured.
for (round = options.Prewarm > TimeSpan.Zero ? 0 : 1; round <= options.Rounds; round++)
{
    prewarming = round == 0;
    // 1. raw INSERT of the same JSON into the equivalent table.
    await Phase("raw INSERT (Npgsql)", async (client, seq) =>
    {
        var id = Guid.CreateVersion7().ToString();
        var body = Encoding.UTF8.GetString(generator.Build(seq));
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO bench_raw (res_type, fhir_id, version, last_updated, deleted, body) VALUES ($1, $2, $3, $4, $5, $6)");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "Patient" });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UtcNow });
        cmd.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = false });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        if (await cmd.ExecuteNonQueryAsync() != 1)
        {
            throw new UnexpectedAnswerException("INSERT affected no row");
        }

        rawIds[client].Add(id);
    });

    // 1b. What issue 2 asks of every write, in plain SQL: the resource row, its change-log row and its identifier
    //     token rows in one statement (the shape of the gateway's first ResourceSql.Insert, on the schema of its
    //     migration 0001), in a BEGIN/COMMIT transaction as the gateway does. It tells how much of the gap to the
    //     bare INSERT the required bookkeeping explains, independently of the gateway's code and later indexes.
    await Phase("raw 3-table write, BEGIN/COMMIT (Npgsql)", async (_, seq) =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var cmd = ThreeTableInsert(connection, generator, seq);
        cmd.Transaction = transaction;
        if ((long)(await cmd.ExecuteScalarAsync())! != 1)
        {
            throw new UnexpectedAnswerException("the 3-table insert wrote no resource row");
        }

        await transaction.CommitAsync();
    });

    // 1c. The same single statement without an explicit transaction (it is atomic on its own).
    await Phase("raw 3-table write, one statement (Npgsql)", async (_, seq) =>
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var cmd = ThreeTableInsert(connection, generator, seq);
        if ((long)(await cmd.ExecuteScalarAsync())! != 1)
        {
            throw new UnexpectedAnswerException("the 3-table insert wrote no resource row");
        }
    });

    // 2. HTTP create of the same kind of Patient.
    await Phase("HTTP create (POST)", async (client, seq) =>
    {
        using var content = FhirContent(generator.Build(seq));
        using var response = await http.PostAsync("fhir/Patient", content);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.Created || response.Headers.Location is null || response.Headers.ETag is null)
        {
            throw new UnexpectedAnswerException($"POST /fhir/Patient answered {(int)response.StatusCode}: {Excerpt(body)}");
        }

        // Location: {base}/Patient/{id}/_history/{vid}
        var segments = response.Headers.Location.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        created[client].Add((segments[^3], seq));
    });

    rawPool = rawIds.SelectMany(l => l).ToArray();
    httpPool = created.SelectMany(l => l).ToArray();
    if (httpPool.Length == 0 || (!prewarming && rawPool.Length == 0))
    {
        Console.Error.WriteLine("error: nothing was created; cannot measure reads");
        return 1;
    }

    // 3. raw SELECT body by (res_type, fhir_id) — the unique key the gateway reads by.
    await Phase("raw SELECT by key (Npgsql)", async (_, _) =>
    {
        await using var cmd = dataSource.CreateCommand("SELECT body FROM bench_raw WHERE res_type = $1 AND fhir_id = $2");
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "Patient" });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rawPool[Random.Shared.Next(rawPool.Length)] });
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.GetString(0).Length == 0)
        {
            throw new UnexpectedAnswerException("SELECT found no row");
        }
    });

    // 4. HTTP read by id.
    await Phase("HTTP read (GET by id)", async (_, _) =>
    {
        var (id, _) = httpPool[Random.Shared.Next(httpPool.Length)];
        using var response = await http.GetAsync("fhir/Patient/" + id);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK || body.Length == 0)
        {
            throw new UnexpectedAnswerException($"GET /fhir/Patient/{{id}} answered {(int)response.StatusCode}: {Excerpt(body)}");
        }
    });

    // 5. HTTP update: PUT of a changed copy (new address line and phone) with the id in the body.
    await Phase("HTTP update (PUT)", async (_, seq) =>
    {
        var (id, n) = httpPool[Random.Shared.Next(httpPool.Length)];
        using var content = FhirContent(generator.Build(n, id, revision: (int)(seq % 1000) + 1));
        using var response = await http.PutAsync("fhir/Patient/" + id, content);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new UnexpectedAnswerException($"PUT /fhir/Patient/{{id}} answered {(int)response.StatusCode}: {Excerpt(body)}");
        }
    });

    // 6. Floor of the HTTP stack: the same middleware pipeline, no FHIR work, no database.
    await Phase("HTTP floor (GET /health/live)", async (_, _) =>
    {
        using var response = await http.GetAsync("health/live");
        await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new UnexpectedAnswerException($"GET /health/live answered {(int)response.StatusCode}");
        }
    });

}

var micro = options.MicroIterations > 0 ? MicroCosts.Measure(generator, options.MicroIterations) : [];
Console.WriteLine(Report.Markdown(options, results, micro, sample.Length));
return results.Any(r => r.Errors > 0) ? 3 : 0;

static string Excerpt(byte[] body) => Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 400));

static ByteArrayContent FhirContent(byte[] body)
{
    var content = new ByteArrayContent(body);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json") { CharSet = "utf-8" };
    return content;
}

static NpgsqlCommand ThreeTableInsert(NpgsqlConnection connection, PatientGenerator generator, long n)
{
    var identifiers = generator.Identifiers(n);
    var cmd = new NpgsqlCommand(RawSql.ThreeTableInsert, connection);
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "Patient" });
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Guid.CreateVersion7().ToString() });
    cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 1 });
    cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = DateTimeOffset.UtcNow });
    cmd.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = false });
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Encoding.UTF8.GetString(generator.Build(n)) });
    cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "create" });
    cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = identifiers.Select(_ => "identifier").ToArray() });
    cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = identifiers.Select(i => i.System).ToArray() });
    cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = identifiers.Select(i => i.Value).ToArray() });
    return cmd;
}

static async Task CreateRawTableAsync(NpgsqlDataSource dataSource)
{
    // Same columns, constraints, collation and compression as the gateway's "resource" table
    // (src/FhirCoordGateway.Storage.Postgres/Migrations/0001_resources.sql), without its change log and index rows.
    await using var cmd = dataSource.CreateCommand("""
        DROP TABLE IF EXISTS bench_raw;
        CREATE TABLE bench_raw (
            res_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            res_type     text COLLATE "C" NOT NULL,
            fhir_id      text COLLATE "C" NOT NULL,
            version      integer NOT NULL,
            last_updated timestamptz NOT NULL,
            deleted      boolean NOT NULL,
            body         text COMPRESSION lz4,
            UNIQUE (res_type, fhir_id)
        );
        """ + RawSql.ThreeTableSchema);
    await cmd.ExecuteNonQueryAsync();
}

static void Log(string message) => Console.Error.WriteLine($"[bench {DateTime.UtcNow:HH:mm:ss}] {message}");
