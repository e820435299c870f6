using System.Globalization;
using System.Net;
using Npgsql;

namespace FhirCoordGateway.Benchmarks;

/// <summary>Command line of the driver. Every option also reads an environment variable (BENCH_…).</summary>
public sealed record BenchOptions
{
    public required Uri BaseUrl { get; init; }
    public required string ConnectionString { get; init; }
    public int Clients { get; init; } = 8;
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Prewarm { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);
    public long MaxOps { get; init; } = long.MaxValue;
    public long MaxErrors { get; init; } = 100;
    public int? GatewayPid { get; init; }
    public int? PostmasterPid { get; init; }
    public int MicroIterations { get; init; } = 2000;
    public int Seed { get; init; } = 20261122;
    public int Rounds { get; init; } = 3;
    public bool ClaimProfile { get; init; } = true;

    public const string Usage = """
        FhirCoordGateway.Benchmarks — HTTP load driver for the gateway, side by side with raw Npgsql.

          --base-url URL        gateway root, loopback only            (BENCH_BASE_URL, default http://127.0.0.1:8080)
          --conn CONNSTRING     PostgreSQL the gateway uses             (BENCH_CONN, required)
          --clients N           concurrent clients per phase            (BENCH_CLIENTS, default 8)
          --warmup SECONDS      unmeasured warm-up per phase            (BENCH_WARMUP, default 5)
          --prewarm SECONDS     unmeasured HTTP load before round 1     (BENCH_PREWARM, default 20)
          --duration SECONDS    measured window per phase               (BENCH_DURATION, default 10)
          --max-ops N           stop a phase after N operations         (BENCH_MAX_OPS, default unlimited)
          --max-errors N        abort when a phase fails more than N    (BENCH_MAX_ERRORS, default 100)
          --gateway-pid PID     gateway process, for the CPU breakdown  (BENCH_GATEWAY_PID)
          --pg-pid PID          postmaster, for the CPU breakdown       (BENCH_PG_PID)
          --micro N             iterations of the in-process costs, 0 = skip (BENCH_MICRO, default 2000)
          --rounds N            repeat the whole phase sequence N times (BENCH_ROUNDS, default 3);
                                the report gives the median and the best round of each phase
          --profile true|false  Patients claim fhircoord-patient-ins in meta.profile, so the gateway
                                validates them against it              (BENCH_PROFILE, default true)
          --seed N              patient generator seed                  (BENCH_SEED)
        BENCH_TOKEN: the bearer token sent with every request (the gateway answers 401 without one).
        """;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string? Get(string name)
        {
            if (values.Remove(name, out var v))
            {
                return v;
            }

            var env = Environment.GetEnvironmentVariable("BENCH_" + name.Replace('-', '_').ToUpperInvariant());
            return string.IsNullOrWhiteSpace(env) ? null : env;
        }

        static int Int(string? s, int fallback) => s is null ? fallback : int.Parse(s, CultureInfo.InvariantCulture);
        static double Dbl(string? s, double fallback) => s is null ? fallback : double.Parse(s, CultureInfo.InvariantCulture);

        var baseUrl = new Uri(Get("base-url") ?? "http://127.0.0.1:8080");
        var conn = Get("conn") ?? throw new ArgumentException("--conn (or BENCH_CONN) is required");
        var options = new BenchOptions
        {
            BaseUrl = baseUrl,
            ConnectionString = conn,
            Clients = Int(Get("clients"), 8),
            Warmup = TimeSpan.FromSeconds(Dbl(Get("warmup"), 5)),
            Prewarm = TimeSpan.FromSeconds(Dbl(Get("prewarm"), 20)),
            Duration = TimeSpan.FromSeconds(Dbl(Get("duration"), 10)),
            MaxOps = Get("max-ops") is { } m ? long.Parse(m, CultureInfo.InvariantCulture) : long.MaxValue,
            MaxErrors = Get("max-errors") is { } e ? long.Parse(e, CultureInfo.InvariantCulture) : 100,
            GatewayPid = Get("gateway-pid") is { } g ? int.Parse(g, CultureInfo.InvariantCulture) : null,
            PostmasterPid = Get("pg-pid") is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : null,
            MicroIterations = Int(Get("micro"), 2000),
            Seed = Int(Get("seed"), 20261122),
            Rounds = Int(Get("rounds"), 3),
            ClaimProfile = bool.Parse(Get("profile") ?? "true"),
        };
        if (values.Count > 0)
        {
            throw new ArgumentException($"unknown option --{values.Keys.First()}");
        }

        if (options.Rounds is < 1 or > 20)
        {
            throw new ArgumentException("--rounds must be between 1 and 20");
        }

        if (options.Clients < 1 || options.Duration <= TimeSpan.Zero || options.Duration > TimeSpan.FromMinutes(30) || options.Warmup < TimeSpan.Zero)
        {
            throw new ArgumentException("--clients must be ≥ 1, --duration in (0, 1800] s, --warmup ≥ 0");
        }

        EnsureLoopback(baseUrl.Host, "--base-url");
        var host = new NpgsqlConnectionStringBuilder(conn).Host ?? "localhost";
        foreach (var h in host.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!h.StartsWith('/'))
            {
                EnsureLoopback(h.Split(':')[0], "--conn Host");
            }
        }

        return options;
    }

    /// <summary>The benchmark only ever talks to this machine.</summary>
    private static void EnsureLoopback(string host, string what)
    {
        var ok = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (!ok)
        {
            throw new ArgumentException($"{what} must be a loopback address (127.0.0.1, ::1, localhost), not '{host}'");
        }
    }
}
