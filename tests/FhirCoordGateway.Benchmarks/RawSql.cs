namespace FhirCoordGateway.Benchmarks;

/// <summary>SQL of the raw (gateway-less) phases.</summary>
public static class RawSql
{
    /// <summary>
    /// The tables of the 3-table write: the gateway's "resource", "change_log" and "search_token" as its migration
    /// 0001_resources.sql created them (the gateway's index has since grown; this stays the fixed minimum that issue 2
    /// asks of a write: the version, the change log, the identifier index).
    /// </summary>
    public const string ThreeTableSchema = """
        DROP TABLE IF EXISTS bench_resource, bench_change_log, bench_search_token;
        CREATE TABLE bench_resource (
            res_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            res_type     text COLLATE "C" NOT NULL,
            fhir_id      text COLLATE "C" NOT NULL,
            version      integer NOT NULL,
            last_updated timestamptz NOT NULL,
            deleted      boolean NOT NULL,
            body         text COMPRESSION lz4,
            UNIQUE (res_type, fhir_id)
        );
        CREATE TABLE bench_change_log (
            seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            res_id       bigint NOT NULL,
            res_type     text COLLATE "C" NOT NULL,
            fhir_id      text COLLATE "C" NOT NULL,
            version      integer NOT NULL,
            operation    text NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
            changed_at   timestamptz NOT NULL
        );
        CREATE INDEX ON bench_change_log (res_type, seq);
        CREATE INDEX ON bench_change_log (res_id, seq);
        CREATE INDEX ON bench_change_log (changed_at);
        CREATE TABLE bench_search_token (
            res_id  bigint NOT NULL,
            param   text COLLATE "C" NOT NULL,
            system  text COLLATE "C",
            code    text COLLATE "C" NOT NULL
        );
        CREATE INDEX ON bench_search_token (param, code, system, res_id);
        CREATE INDEX ON bench_search_token (res_id);
        """;

    /// <summary>The first ResourceSql.Insert of the gateway (resource + change log + tokens in one statement) on those tables.</summary>
    public const string ThreeTableInsert = """
        WITH r AS (
            INSERT INTO bench_resource (res_type, fhir_id, version, last_updated, deleted, body)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING res_id),
        c AS (
            INSERT INTO bench_change_log (res_id, res_type, fhir_id, version, operation, changed_at)
            SELECT res_id, $1, $2, $3, $7, $4 FROM r),
        t AS (
            INSERT INTO bench_search_token (res_id, param, system, code)
            SELECT r.res_id, u.param, u.system, u.code FROM r, unnest($8::text[], $9::text[], $10::text[]) AS u(param, system, code))
        SELECT count(*) FROM r
        """;
}
