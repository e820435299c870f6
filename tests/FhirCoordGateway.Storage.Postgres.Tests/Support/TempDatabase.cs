using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

/// <summary>An empty database of its own, for tests that must see migrations from scratch; dropped on dispose.</summary>
public sealed class TempDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;
    private readonly List<NpgsqlDataSource> _dataSources = [];

    private TempDatabase(string adminConnectionString, string name)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
    }

    public string Name { get; }

    public static async Task<TempDatabase> CreateAsync(string connectionString)
    {
        var db = new TempDatabase(connectionString, $"fc_test_{Guid.NewGuid():N}"[..24]);
        await using var admin = NpgsqlDataSource.Create(connectionString);
        await using var cmd = admin.CreateCommand($"CREATE DATABASE \"{db.Name}\"");
        await cmd.ExecuteNonQueryAsync();
        return db;
    }

    public NpgsqlDataSource NewDataSource(string? applicationName = null)
    {
        var builder = new NpgsqlDataSourceBuilder(_adminConnectionString);
        builder.ConnectionStringBuilder.Database = Name;
        if (applicationName is not null)
        {
            builder.ConnectionStringBuilder.ApplicationName = applicationName;
        }

        var dataSource = builder.Build();
        _dataSources.Add(dataSource);
        return dataSource;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }

        await using var admin = NpgsqlDataSource.Create(_adminConnectionString);
        await using var cmd = admin.CreateCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        await cmd.ExecuteNonQueryAsync();
    }
}
