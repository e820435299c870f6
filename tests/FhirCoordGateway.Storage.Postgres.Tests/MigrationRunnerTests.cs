using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>Migrations on databases of their own, so the first run is really the first.</summary>
[Collection(PostgresCollection.Name)]
public class MigrationRunnerTests(PostgresFixture fixture)
{
    private static async Task<List<(int Version, string Name, DateTime AppliedAt)>> AppliedAsync(NpgsqlDataSource dataSource)
    {
        await using var cmd = dataSource.CreateCommand("SELECT version, name, applied_at FROM schema_migration ORDER BY version");
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(int, string, DateTime)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1), reader.GetDateTime(2)));
        }

        return rows;
    }

    private static async Task<List<string>> TablesAsync(NpgsqlDataSource dataSource)
    {
        await using var cmd = dataSource.CreateCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        await using var reader = await cmd.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static int AppliedEvents(CapturingLogger<MigrationRunner> logger) =>
        logger.Events.Count(e => e.Message.StartsWith("Applied migration ", StringComparison.Ordinal));

    /// <summary>The Migrations folder of the source tree, found from the test binaries.</summary>
    private static string MigrationsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "FhirCoordGateway.Storage.Postgres", "Migrations");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("src/FhirCoordGateway.Storage.Postgres/Migrations not found above " + AppContext.BaseDirectory);
    }

    private static readonly string[] Tables =
    [
        "audit_event", "change_feed_position", "change_log", "export_file", "export_job", "reindex_job", "resource", "resource_history", "schema_migration", "search_param_state",
        "sp_composite", "sp_date", "sp_number", "sp_quantity", "sp_reference", "sp_string", "sp_token", "sp_uri",
        "subscription", "subscription_attempt", "subscription_event",
    ];

    [Fact]
    public void GivenMigrationsFolder_WhenListingScripts_ThenEveryFileIsEmbeddedOnceInVersionOrder()
    {
        var files = Directory.GetFiles(MigrationsFolder(), "*.sql").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList();

        var scripts = MigrationRunner.Scripts();

        Assert.NotEmpty(files);
        Assert.Contains("0001_resources", files);
        Assert.Equal(files, scripts.Select(s => s.Name));
        Assert.Equal(files.Select(f => int.Parse(f[..4], System.Globalization.CultureInfo.InvariantCulture)), scripts.Select(s => s.Version));
        Assert.Equal(scripts.Select(s => s.Version).Distinct().Order(), scripts.Select(s => s.Version));
        Assert.All(scripts, s => Assert.Equal(File.ReadAllText(Path.Combine(MigrationsFolder(), s.Name + ".sql")), s.Sql));
    }

    [Fact]
    public async Task GivenEmptyDatabase_WhenMigrating_ThenEveryScriptIsRecordedAndTheTablesExist()
    {
        await using var db = await TempDatabase.CreateAsync(fixture.ConnectionString);
        var dataSource = db.NewDataSource();
        var logger = new CapturingLogger<MigrationRunner>();

        await new MigrationRunner(dataSource, logger).RunAsync(CancellationToken.None);

        var applied = await AppliedAsync(dataSource);
        Assert.Equal(MigrationRunner.Scripts().Select(s => (s.Version, s.Name)), applied.Select(a => (a.Version, a.Name)));
        Assert.Equal(MigrationRunner.Scripts().Count, AppliedEvents(logger));
        var first = logger.Events.First(e => e.Message.StartsWith("Applied migration ", StringComparison.Ordinal));
        Assert.Contains(new KeyValuePair<string, object?>("MigrationVersion", 1), first.Properties);
        Assert.Contains(new KeyValuePair<string, object?>("MigrationName", "0001_resources"), first.Properties);
        Assert.Equal(Tables, await TablesAsync(dataSource));
    }

    [Fact]
    public async Task GivenMigratedDatabase_WhenMigratingAgain_ThenNothingIsReapplied()
    {
        await using var db = await TempDatabase.CreateAsync(fixture.ConnectionString);
        var dataSource = db.NewDataSource();
        await new MigrationRunner(dataSource, new CapturingLogger<MigrationRunner>()).RunAsync(CancellationToken.None);
        var before = await AppliedAsync(dataSource);
        var second = new CapturingLogger<MigrationRunner>();

        await new MigrationRunner(dataSource, second).RunAsync(CancellationToken.None);

        Assert.Equal(before, await AppliedAsync(dataSource));
        Assert.Equal(0, AppliedEvents(second));
        Assert.Equal(Tables, await TablesAsync(dataSource));
    }

    [Fact]
    public async Task GivenTwoNodesStartingTogether_WhenBothMigrate_ThenEachScriptIsAppliedOnce()
    {
        await using var db = await TempDatabase.CreateAsync(fixture.ConnectionString);
        var appName = Writer.UniqueId("fc-mig");
        var observer = db.NewDataSource();
        var node1 = db.NewDataSource(appName);
        var node2 = db.NewDataSource(appName);
        var log1 = new CapturingLogger<MigrationRunner>();
        var log2 = new CapturingLogger<MigrationRunner>();

        // Hold the migration lock so that both nodes are provably waiting on it before either starts.
        await using var blocker = await observer.OpenConnectionAsync();
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock(x'46484952434F4F52'::bigint)", blocker))
        {
            await lockCmd.ExecuteNonQueryAsync();
        }

        var run1 = new MigrationRunner(node1, log1).RunAsync(CancellationToken.None);
        var run2 = new MigrationRunner(node2, log2).RunAsync(CancellationToken.None);
        await Wait.UntilAsync(
            async () =>
            {
                await using var cmd = observer.CreateCommand("""
                    SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE a.application_name = $1 AND l.locktype = 'advisory' AND NOT l.granted
                    """);
                cmd.Parameters.Add(new NpgsqlParameter { Value = appName });
                return (long)(await cmd.ExecuteScalarAsync())! == 2;
            },
            "both nodes wait for the migration lock");
        Assert.False(run1.IsCompleted);
        Assert.False(run2.IsCompleted);
        await using (var unlockCmd = new NpgsqlCommand("SELECT pg_advisory_unlock(x'46484952434F4F52'::bigint)", blocker))
        {
            await unlockCmd.ExecuteNonQueryAsync();
        }

        await Task.WhenAll(run1, run2).WaitAsync(Wait.Guard);

        Assert.Equal(MigrationRunner.Scripts().Count, AppliedEvents(log1) + AppliedEvents(log2));
        Assert.True(AppliedEvents(log1) == 0 || AppliedEvents(log2) == 0, "both nodes applied scripts");
        Assert.Equal(MigrationRunner.Scripts().Select(s => (s.Version, s.Name)), (await AppliedAsync(observer)).Select(a => (a.Version, a.Name)));
    }

    [Fact]
    public async Task GivenFixtureDatabase_WhenMigratingAgain_ThenItIsAlreadyUpToDate()
    {
        var logger = new CapturingLogger<MigrationRunner>();

        await new MigrationRunner(fixture.DataSource, logger).RunAsync(CancellationToken.None);

        Assert.Equal(0, AppliedEvents(logger));
        Assert.Equal(MigrationRunner.Scripts().Select(s => (s.Version, s.Name)), (await AppliedAsync(fixture.DataSource)).Select(a => (a.Version, a.Name)));
    }
}
