using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>
/// Applies the numbered SQL scripts embedded under Migrations/ (NNNN_name.sql) that the database has not
/// seen yet, each in its own transaction, under a session advisory lock so that several nodes starting
/// together apply each script once.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    private const long MigrationLockKey = 0x46484952_434F4F52; // "FHIRCOOR"

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, "SELECT pg_advisory_lock(" + MigrationLockKey + ")", ct);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, ct);
            var applied = new HashSet<int>();
            await using (var cmd = new NpgsqlCommand("SELECT version FROM schema_migration", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            foreach (var (version, name, sql) in Scripts().Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await Execute(connection, sql, ct);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migration (version, name) VALUES ($1, $2)", connection))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = version });
                    record.Parameters.Add(new NpgsqlParameter { Value = name });
                    await record.ExecuteNonQueryAsync(ct);
                }

                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {MigrationVersion} {MigrationName}", version, name);
            }
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock(" + MigrationLockKey + ")", CancellationToken.None);
        }
    }

    /// <summary>The embedded scripts in version order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal) && n.Contains(".Migrations.", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[(n.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..^".sql".Length];
                var version = int.Parse(file[..file.IndexOf('_')], System.Globalization.CultureInfo.InvariantCulture);
                return (version, file, Read(assembly, n));
            })
            .OrderBy(s => s.version)
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
