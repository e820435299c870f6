using Npgsql;
using NpgsqlTypes;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>Small helpers to build positional-parameter commands ($1, $2 …) without boilerplate.</summary>
internal static class Sql
{
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] values)
    {
        var cmd = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            cmd.Parameters.Add(Parameter(value));
        }

        return cmd;
    }

    public static NpgsqlParameter Parameter(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        string?[] texts => new NpgsqlParameter { Value = texts, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        DateTimeOffset time => new NpgsqlParameter { Value = time.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
        _ => new NpgsqlParameter { Value = value },
    };

    public static DateTimeOffset ReadTimestamp(NpgsqlDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc));
}
