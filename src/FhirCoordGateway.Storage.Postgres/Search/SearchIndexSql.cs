using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// The index rows of a write as data-modifying CTEs over <c>unnest</c> arrays, spliced into the write
/// statement of <see cref="ResourceSql"/> so a version and its index rows are one round trip.
/// </summary>
internal static class SearchIndexSql
{
    /// <summary>One index table: its columns after <c>res_id</c> and the array type of each (<see cref="Values"/> order).</summary>
    private sealed record IndexTable(string Name, string Short, string[] Columns, string[] Types);

    private static readonly IndexTable[] IndexTables =
    [
        new("sp_token", "token", ["sp_id", "h_sv", "h_v", "h_s", "sort_key"], ["int", "bigint", "bigint", "bigint", "text"]),
        new("sp_string", "string", ["sp_id", "norm", "h_exact"], ["int", "text", "bigint"]),
        new("sp_date", "date", ["sp_id", "lo", "hi", "long_span"], ["int", "timestamptz", "timestamptz", "boolean"]),
        new("sp_number", "number", ["sp_id", "lo", "hi"], ["int", "numeric", "numeric"]),
        new("sp_quantity", "quantity", ["sp_id", "lo", "hi", "h_sc", "h_c", "h_u"], ["int", "numeric", "numeric", "bigint", "bigint", "bigint"]),
        new("sp_uri", "uri", ["sp_id", "uri"], ["int", "text"]),
        // target_res_id is not a value of the version: the insert resolves it from target_type and target_id.
        new("sp_reference", "reference", ["sp_id", "target_type", "target_id", "url"], ["int", "text", "text", "text"]),
        new("sp_composite", "composite", ["sp_id", "k1sv", "k1v", "k2sv", "k2v", "lo", "hi", "dlo", "dhi"],
            ["int", "bigint", "bigint", "bigint", "bigint", "numeric", "numeric", "timestamptz", "timestamptz"]),
    ];

    public static readonly string[] Tables = IndexTables.Select(t => t.Name).ToArray();

    /// <summary>
    /// CTEs writing the index rows of the resource of CTE <paramref name="source"/>; arrays from <c>$first</c>.
    /// With <paramref name="replace"/> the resource may already have rows: only the rows that changed are replaced
    /// (as HAPI FHIR's DaoSearchParamSynchronizer does): rows of the new version that are already stored stay, stored rows
    /// it no longer has are deleted, the others inserted. A Task update that changes its status touches a few rows
    /// instead of all of them. All CTEs see the statement's snapshot, so the insert compares with the rows as they were.
    /// Rows compare as whole values (NULLs equal); duplicate rows of a version count once.
    /// </summary>
    /// <param name="typeParam">Parameter holding the resource type (self references resolve to the new row).</param>
    public static string IndexCtes(string source, int first, int typeParam, int idParam, bool replace)
    {
        // Design: the stored rows are found by "res_id = (SELECT res_id FROM source)", a value known before the scan, and a
        // reference's target by a scalar subquery, never by a join with the source or the new rows: joined, the planner may
        // hash the whole index table (or resource) to probe it with a handful of rows, and did on young tables without
        // statistics (30-100 ms a write in the delivery benchmark).
        var p = first;
        var owner = $"(SELECT res_id FROM {source})";
        var ctes = new List<string>();
        foreach (var table in IndexTables)
        {
            var arrays = string.Join(", ", table.Types.Select(t => $"${p++}::{t}[]"));
            var columns = string.Join(", ", table.Columns);
            var same = $"({string.Join(", ", table.Columns.Select(c => $"x.{c}"))}) IS NOT DISTINCT FROM ({string.Join(", ", table.Columns.Select(c => $"n.{c}"))})";
            ctes.Add($"n_{table.Short} AS (SELECT * FROM unnest({arrays}) AS n({columns}))");
            if (replace)
            {
                ctes.Add($"""
                    d_{table.Short} AS (
                        DELETE FROM {table.Name} x WHERE x.res_id = {owner}
                        AND NOT EXISTS (SELECT 1 FROM n_{table.Short} n WHERE {same}))
                    """);
            }

            var where = replace ? $"WHERE NOT EXISTS (SELECT 1 FROM {table.Name} x WHERE x.res_id = {owner} AND {same})" : "";
            ctes.Add(table.Name == "sp_reference"
                ? $"""
                    i_{table.Short} AS (
                        INSERT INTO sp_reference (res_id, sp_id, target_type, target_id, target_res_id, url)
                        SELECT DISTINCT {source}.res_id, n.sp_id, n.target_type, n.target_id,
                               coalesce((SELECT t.res_id FROM resource t WHERE t.res_type = n.target_type AND t.fhir_id = n.target_id),
                                        CASE WHEN n.target_type = ${typeParam} AND n.target_id = ${idParam} THEN {source}.res_id END), n.url
                        FROM {source}, n_{table.Short} n {where})
                    """
                : $"""
                    i_{table.Short} AS (
                        INSERT INTO {table.Name} (res_id, {columns})
                        SELECT DISTINCT {source}.res_id, n.* FROM {source}, n_{table.Short} n {where})
                    """);
        }

        return string.Join(",\n", ctes);
    }

    /// <summary>References written before their target existed now point at it (same statement as its creation).</summary>
    public static string BackfillCte(string source, int typeParam, int idParam) =>
        $"""
        b_reference AS (
            UPDATE sp_reference x SET target_res_id = {source}.res_id FROM {source}
            WHERE x.target_type = ${typeParam} AND x.target_id = ${idParam} AND x.target_res_id IS NULL)
        """;

    /// <summary>The array values, in the order of <see cref="IndexCtes"/>.</summary>
    public static IEnumerable<object> Values(string resourceType, SearchIndexRows rows)
    {
        int Sp(string code) => SearchKeys.ParamId(resourceType, code);

        var tokens = rows.Tokens.Select(t => (Sp: Sp(t.Parameter), t)).Select(x => (x.Sp, K: SearchKeys.Token(x.Sp, x.t.System, x.t.Code))).ToList();
        yield return tokens.Select(t => t.Sp).ToArray();
        yield return tokens.Select(t => t.K.Sv).ToArray();
        yield return tokens.Select(t => t.K.V).ToArray();
        yield return tokens.Select(t => t.K.S).ToArray();
        yield return Text(rows.Tokens.Select(t => TokenSortKey(t.System, t.Code)));

        var strings = rows.Strings.Select(s => (Sp: Sp(s.Parameter), s.Value)).ToList();
        yield return strings.Select(s => s.Sp).ToArray();
        yield return Text(strings.Select(s => StringFold.Fold(s.Value)));
        yield return strings.Select(s => SearchKeys.Hash(s.Sp, s.Value)).ToArray();

        yield return rows.Dates.Select(d => Sp(d.Parameter)).ToArray();
        yield return Timestamps(rows.Dates.Select(d => (DateTimeOffset?)d.Low));
        yield return Timestamps(rows.Dates.Select(d => (DateTimeOffset?)d.High));
        yield return rows.Dates.Select(d => LongSpan(d.Low, d.High)).ToArray();

        yield return rows.Numbers.Select(n => Sp(n.Parameter)).ToArray();
        yield return rows.Numbers.Select(n => n.Low).ToArray();
        yield return rows.Numbers.Select(n => n.High).ToArray();

        var quantities = rows.Quantities.Select(q => (Sp: Sp(q.Parameter), q)).ToList();
        yield return quantities.Select(q => q.Sp).ToArray();
        yield return quantities.Select(q => q.q.Low).ToArray();
        yield return quantities.Select(q => q.q.High).ToArray();
        yield return quantities.Select(q => q.q.Code is null ? (long?)null : SearchKeys.Hash(q.Sp, q.q.System ?? "", q.q.Code)).ToArray();
        yield return quantities.Select(q => q.q.Code is null ? (long?)null : SearchKeys.Hash(q.Sp, q.q.Code)).ToArray();
        yield return quantities.Select(q => q.q.Unit is null ? (long?)null : SearchKeys.Hash(q.Sp, q.q.Unit)).ToArray();

        yield return rows.Uris.Select(u => Sp(u.Parameter)).ToArray();
        yield return Text(rows.Uris.Select(u => u.Uri));

        yield return rows.References.Select(r => Sp(r.Parameter)).ToArray();
        yield return Text(rows.References.Select(r => r.TargetType));
        yield return Text(rows.References.Select(r => r.TargetId));
        yield return Text(rows.References.Select(r => r.Url));

        var composites = rows.Composites.Select(c => (Sp: Sp(c.Parameter), c)).ToList();
        yield return composites.Select(c => c.Sp).ToArray();
        yield return composites.Select(c => SearchKeys.Hash(c.Sp, c.c.System1 ?? "", c.c.Code1)).ToArray();
        yield return composites.Select(c => SearchKeys.Hash(c.Sp, c.c.Code1)).ToArray();
        yield return composites.Select(c => c.c.Code2 is null ? (long?)null : SearchKeys.Hash(c.Sp, "2" + (c.c.System2 ?? ""), c.c.Code2)).ToArray();
        yield return composites.Select(c => c.c.Code2 is null ? (long?)null : SearchKeys.Hash(c.Sp, "2", c.c.Code2)).ToArray();
        yield return composites.Select(c => c.c.Low).ToArray();
        yield return composites.Select(c => c.c.High).ToArray();
        yield return Timestamps(composites.Select(c => c.c.DateLow));
        yield return Timestamps(composites.Select(c => c.c.DateHigh));
    }

    /// <summary>What <c>_sort</c> on a token orders by: the code, then the system (U+0001 sorts before any character of a code).</summary>
    public static string? TokenSortKey(string? system, string? code)
    {
        if (code is null)
        {
            return null;
        }

        var key = code + '\u0001' + system;
        return key.Length <= 200 ? key : key[..200];
    }

    /// <summary>Ranges longer than a day get no lower-bound shortcut in date searches.</summary>
    public static bool LongSpan(DateTimeOffset low, DateTimeOffset high) =>
        low == DateTimeOffset.MinValue || high == DateTimeOffset.MaxValue || high - low > TimeSpan.FromDays(1);

    private static string?[] Text(IEnumerable<string?> values) => values.ToArray();

    /// <summary>UTC DateTimes; Min/MaxValue become -infinity/infinity (Npgsql's default mapping).</summary>
    private static DateTime?[] Timestamps(IEnumerable<DateTimeOffset?> values) =>
        values.Select(v => v is null ? (DateTime?)null
            : v == DateTimeOffset.MinValue ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc)
            : v == DateTimeOffset.MaxValue ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)
            : v.Value.UtcDateTime).ToArray();
}
