using FhirCoordGateway.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the one <see cref="NpgsqlDataSource"/> of the process, the store and the migration runner.</summary>
    public static IServiceCollection AddPostgresStorage(this IServiceCollection services, string connectionString)
    {
        // Built by factories, so that the container owns and disposes the pools with the host: instances handed to it
        // are never disposed, and their idle connections outlived the gateway (tests ran out of server connections).
        services.AddSingleton(_ => Builder(connectionString).Build());
        services.AddSingleton(_ => Search.GenericPlanDataSource.Create(Builder(connectionString)));
        services.AddSingleton<IResourceStore, PostgresResourceStore>();
        services.AddSingleton<Core.Search.ISearchStore, Search.PostgresSearchStore>();
        services.AddSingleton<Core.Subscriptions.ISubscriptionStore, PostgresSubscriptionStore>();
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<IChangeFeed, PostgresChangeFeed>();
        return services;
    }

    /// <summary>The settings of every pool of the process.</summary>
    public static NpgsqlDataSourceBuilder Builder(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // Reads and writes repeat a handful of statements: prepared once per connection, they skip parsing and planning.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }

        // NpgsqlConnectionStringBuilder.ContainsKey answers true for every keyword it knows, set or not (so this setting
        // was never applied): whether the configuration names it is read from the connection string itself.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            // Returning a connection to the pool normally costs a DISCARD ALL; the gateway keeps no session
            // state (locks and settings are transaction-scoped), so skipping it is safe and cuts read CPU by a
            // quarter (docs/BENCHMARKS.md). Anything that adds session state (LISTEN, temp tables) must revisit this.
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }

        return builder;
    }
}
