using Npgsql;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Looks straight into PostgreSQL, to prove what was (not) stored.</summary>
public static class Db
{
    /// <summary>Current, non-deleted resources of any type whose JSON contains <paramref name="marker"/>.</summary>
    public static async Task<long> CountContaining(string marker, string? resourceType = null)
    {
        await using var dataSource = NpgsqlDataSource.Create(GatewayFactory.ConnectionString);
        await using var cmd = dataSource.CreateCommand("""
            SELECT count(*) FROM resource r WHERE NOT r.deleted AND strpos(r.body, $1) > 0 AND ($2::text IS NULL OR r.res_type = $2)
            """);
        cmd.Parameters.AddWithValue(marker);
        cmd.Parameters.AddWithValue((object?)resourceType ?? DBNull.Value);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Change-log rows (every version ever written) of the resources whose JSON, in any version, contains the marker.</summary>
    public static async Task<long> ChangeLogRowsContaining(string marker)
    {
        await using var dataSource = NpgsqlDataSource.Create(GatewayFactory.ConnectionString);
        await using var cmd = dataSource.CreateCommand("""
            SELECT count(*) FROM change_log c WHERE c.res_id IN (
                SELECT res_id FROM resource WHERE strpos(body, $1) > 0
                UNION SELECT res_id FROM resource_history WHERE strpos(body, $1) > 0)
            """);
        cmd.Parameters.AddWithValue(marker);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>The change-log rows of one resource: (version, operation) oldest first.</summary>
    public static async Task<List<(int Version, string Operation)>> ChangeLog(string resourceType, string id)
    {
        await using var dataSource = NpgsqlDataSource.Create(GatewayFactory.ConnectionString);
        await using var cmd = dataSource.CreateCommand("SELECT version, operation FROM change_log WHERE res_type = $1 AND fhir_id = $2 ORDER BY seq");
        cmd.Parameters.AddWithValue(resourceType);
        cmd.Parameters.AddWithValue(id);
        var rows = new List<(int, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return rows;
    }
}
