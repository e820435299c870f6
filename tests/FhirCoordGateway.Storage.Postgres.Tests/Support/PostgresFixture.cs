using FhirCoordGateway.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

/// <summary>
/// One migrated database for the whole project: the data source is built the way production builds it
/// (<see cref="ServiceCollectionExtensions.AddPostgresStorage"/>) and migrations run once.
/// The connection string comes from <c>FHIRCOORD_TEST_PG</c>; without it every test fails (never skips).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string Variable = "FHIRCOORD_TEST_PG";

    private NpgsqlDataSource? _dataSource;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The fixture is not initialized.");

    public IResourceStore Store { get; private set; } = null!;

    public Database Db { get; private set; } = null!;

    public static string RequiredConnectionString() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: the Storage.Postgres integration tests need a real PostgreSQL. Run scripts/test.sh, " +
                $"or start one with scripts/pg-local.sh start and export {Variable}=\"$(scripts/pg-local.sh url)\".");

    public async Task InitializeAsync()
    {
        ConnectionString = RequiredConnectionString();
        var services = new ServiceCollection();
        services.AddPostgresStorage(ConnectionString);
        // The registration's own factory (it needs no services), without a container.
        _dataSource = (NpgsqlDataSource)services.Single(d => d.ServiceType == typeof(NpgsqlDataSource)).ImplementationFactory!(null!);
        await new MigrationRunner(_dataSource, NullLogger<MigrationRunner>.Instance).RunAsync(CancellationToken.None);
        Store = new PostgresResourceStore(_dataSource);
        Db = new Database(_dataSource);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>A second data source on the same database whose sessions carry a unique application name, so a test can find them in pg_stat_activity.</summary>
    public NpgsqlDataSource NamedDataSource(string applicationName) =>
        new NpgsqlDataSourceBuilder(ConnectionString) { ConnectionStringBuilder = { ApplicationName = applicationName } }.Build();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "Postgres";
}
