using Hl7.Fhir.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The whole gateway in process (real middleware, real PostgreSQL from FHIRCOORD_TEST_PG), driven through
/// the SDK's FhirClient over the test server's handler.
/// </summary>
public class GatewayFactory : WebApplicationFactory<Program>
{
    /// <summary>Small enough to test 413 without megabytes of test data.</summary>
    public const int MaxBodyBytes = 200_000;

    private readonly Action<IServiceCollection>? _services;
    private readonly IReadOnlyDictionary<string, string> _settings = new Dictionary<string, string>();

    public GatewayFactory()
    {
    }

    private GatewayFactory(Action<IServiceCollection>? services, IReadOnlyDictionary<string, string>? settings)
    {
        _services = services;
        _settings = settings ?? _settings;
    }

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("FHIRCOORD_TEST_PG") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "FHIRCOORD_TEST_PG is not set. Run the tests with scripts/test.sh, which starts PostgreSQL and sets it.");

    /// <summary>A separate gateway whose services are overridden (e.g. a test authorizer).</summary>
    public static GatewayFactory With(Action<IServiceCollection> services) => new(services, null);

    /// <summary>
    /// A new, empty database on the test server, for a gateway that runs background work: its change log,
    /// deliveries and Hangfire queues are then its own. Returns the connection string.
    /// </summary>
    public static string OwnDatabase(string name)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        var database = $"{builder.Database}_{name}";
        builder.Database = "postgres";
        using (var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString))
        {
            connection.Open();
            using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
            using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            create.ExecuteNonQuery();
        }

        builder.Database = database;
        return builder.ConnectionString;
    }

    /// <summary>A separate gateway with extra configuration settings.</summary>
    public static GatewayFactory WithSettings(IReadOnlyDictionary<string, string> settings) => new(null, settings);

    /// <summary>A separate gateway with extra settings and overridden services.</summary>
    public static GatewayFactory With(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection> services) => new(services, settings);

    public FhirClient Fhir(ResourceFormat format = ResourceFormat.Json) =>
        new(new Uri(Server.BaseAddress, "fhir"), CreateClient(), new FhirClientSettings { PreferredFormat = format });

    /// <summary>A FhirClient whose requests carry <paramref name="token"/> (none when null).</summary>
    public FhirClient FhirWith(string? token) => new(new Uri(Server.BaseAddress, "fhir"), this.ClientWith(token));

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.DefaultRequestHeaders.Authorization = TestTokens.Bearer(DefaultToken.Value);
    }

    private static readonly Lazy<string> DefaultToken = new(() => TestTokens.Token(new Api.Security.TokenRequest(TestTokens.FullAccess, ClientId: "e2e-client")
    {
        Lifetime = TimeSpan.FromHours(12),
    }));

    /// <summary>
    /// Hangfire takes its connections from Npgsql's process-wide pool of its connection string, which outlives the
    /// gateway: the idle ones of every finished background-work gateway stayed open for minutes and, over a full
    /// run, used up the server's connections ("too many clients"). A gateway with a database of its own clears them.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_settings.TryGetValue("ConnectionStrings:Fhir", out var own))
        {
            // Hangfire's pool is keyed by the connection string GatewayJobs gives it, which carries our pool settings.
            foreach (var connectionString in new[] { own, FhirCoordGateway.Storage.Postgres.ServiceCollectionExtensions.Builder(own).ConnectionString })
            {
                await using var connection = new Npgsql.NpgsqlConnection(connectionString);
                Npgsql.NpgsqlConnection.ClearPool(connection);
            }
        }

        GC.SuppressFinalize(this);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Fhir", ConnectionString);
        // Background work (Hangfire, change-feed consumers) only where a test asks for it, in a database of its
        // own (OwnDatabase): otherwise every gateway of the run would compete for the one shared change log.
        builder.UseSetting("Jobs:RunServer", "false");
        builder.UseSetting("Fhir:MaxRequestBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Security:Issuers:0:Issuer", TestTokens.Issuer);
        builder.UseSetting("Security:Issuers:0:Audiences:0", TestTokens.Audience);
        builder.UseSetting("Security:Issuers:0:Jwks", TestTokens.Jwks);
        // Subscribers are local WireMocks (http on loopback); short retries so recovery and error tests take seconds.
        builder.UseSetting("Subscriptions:AllowLoopbackHttp", "true");
        builder.UseSetting("Subscriptions:RetryBaseDelay", "00:00:00.200");
        builder.UseSetting("Subscriptions:MaxAttempts", "4");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        // Every gateway's events also go to the run's log, which LogScanTests scans at the end.
        builder.ConfigureServices(s => s.AddSingleton<Serilog.Core.ILogEventSink>(SuiteLog.Instance));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "gateway";
}

/// <summary>
/// Test classes whose gateways run background work (Hangfire, change feed), in process or as worker processes: one
/// at a time, because Hangfire keeps process-wide state (global job filters, its log provider) that two live gateways
/// in one process would share, and because their timing assertions should not compete with other workers for the CPU.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BackgroundWorkCollection
{
    public const string Name = "background work";
}
