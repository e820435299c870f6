using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Search;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres;

/// <summary>The SQL of reads and writes of resource versions. Every SQL string of the store lives in this project.</summary>
internal static class ResourceSql
{
    public const string ReadCurrent =
        "SELECT version, last_updated, deleted, body FROM resource WHERE res_type = $1 AND fhir_id = $2";

    public const string ReadVersion = """
        SELECT version, last_updated, deleted, body FROM resource WHERE res_type = $1 AND fhir_id = $2 AND version = $3
        UNION ALL
        SELECT h.version, h.last_updated, h.deleted, h.body
        FROM resource_history h JOIN resource r ON r.res_id = h.res_id
        WHERE r.res_type = $1 AND r.fhir_id = $2 AND h.version = $3
        """;

    public const string Exists = "SELECT EXISTS (SELECT 1 FROM resource WHERE res_type = $1 AND fhir_id = $2)";

    /// <summary>A new resource: its row, its change-log row, its index rows and the backfill of references to it, in one statement.</summary>
    public static readonly string Insert = $"""
        WITH r AS (
            INSERT INTO resource (res_type, fhir_id, version, last_updated, deleted, body)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING res_id),
        c AS (
            INSERT INTO change_log (res_id, res_type, fhir_id, version, operation, changed_at)
            SELECT res_id, $1, $2, $3, $7, $4 FROM r),
        {SearchIndexSql.IndexCtes("r", first: 8, typeParam: 1, idParam: 2, replace: false)},
        {SearchIndexSql.BackfillCte("r", typeParam: 1, idParam: 2)}
        SELECT count(*) FROM r
        """;

    /// <summary>
    /// A new version of an existing resource: the current row moves to history, the new one takes its
    /// place (only if the current version is still <c>$8</c>), the index rows that changed are replaced and the
    /// change log records it, in one statement. All CTEs see the same snapshot, so history gets the old row and
    /// the index CTEs compare the new rows with the stored ones.
    /// </summary>
    public static readonly string Replace = $"""
        WITH cur AS (
            SELECT res_id FROM resource WHERE res_type = $1 AND fhir_id = $2 AND version = $8),
        h AS (
            INSERT INTO resource_history (res_id, version, last_updated, deleted, body)
            SELECT r.res_id, r.version, r.last_updated, r.deleted, r.body FROM resource r JOIN cur ON cur.res_id = r.res_id),
        u AS (
            UPDATE resource r SET version = $3, last_updated = $4, deleted = $5, body = $6
            FROM cur WHERE r.res_id = cur.res_id RETURNING r.res_id),
        c AS (
            INSERT INTO change_log (res_id, res_type, fhir_id, version, operation, changed_at)
            SELECT res_id, $1, $2, $3, $7, $4 FROM u),
        {SearchIndexSql.IndexCtes("u", first: 9, typeParam: 1, idParam: 2, replace: true)}
        SELECT count(*) FROM u
        """;

    public static NpgsqlCommand WriteCommand(NpgsqlConnection connection, NewVersion v, StoredResource? previous)
    {
        var values = new List<object?>
        {
            v.ResourceType,
            v.Id,
            v.Version,
            v.LastUpdated,
            v.Operation == ChangeOperation.Delete,
            v.Json,
            v.Operation.ToString().ToLowerInvariant(),
        };
        if (previous is not null)
        {
            values.Add(previous.Version);
        }

        values.AddRange(SearchIndexSql.Values(v.ResourceType, v.Index));
        return Sql.Command(connection, previous is null ? Insert : Replace, values.ToArray());
    }

    public static StoredResource ReadStored(NpgsqlDataReader reader, string resourceType, string id) =>
        new(resourceType, id, reader.GetInt32(0), Sql.ReadTimestamp(reader, 1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3));
}
