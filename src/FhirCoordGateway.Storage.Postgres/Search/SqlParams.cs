using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>Positional parameters of a statement being built: <see cref="Add"/> returns its <c>$n</c>.</summary>
internal sealed class SqlParams
{
    private readonly List<object?> _values = [];

    public string Add(object? value)
    {
        _values.Add(value);
        return "$" + _values.Count;
    }

    public NpgsqlCommand Command(NpgsqlConnection connection, string sql) => Sql.Command(connection, sql, _values.ToArray());
}
