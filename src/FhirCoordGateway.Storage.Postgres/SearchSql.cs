using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Storage.Postgres.Search;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>
/// The matches of a <see cref="SearchQuery"/> in storage order, for conditional interactions (first
/// <c>limit</c> rows); paged searches go through <see cref="PostgresSearchStore"/>. Both share
/// <see cref="SearchSqlBuilder.Where"/>.
/// </summary>
internal static class SearchSql
{
    public static NpgsqlCommand Build(NpgsqlConnection connection, SearchQuery query, int limit)
    {
        var p = new SqlParams();
        var where = SearchSqlBuilder.Where(query, "r", p);
        var sql = $"SELECT r.fhir_id, r.version, r.last_updated, r.deleted, r.body FROM resource r WHERE {where} ORDER BY r.res_id LIMIT {p.Add(limit)}";
        return p.Command(connection, sql);
    }
}
