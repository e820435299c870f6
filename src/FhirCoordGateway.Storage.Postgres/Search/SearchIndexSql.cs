using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// The index rows of a write as data-modifying CTEs over <c>unnest</c> arrays, spliced into the write
/// statement of <see cref="ResourceSql"/> so a version and its index rows are one round trip.
/// </summary>
internal static class SearchIndexSql
{
    /// <summary>Number of array parameters <see cref="Values"/> adds.</summary>
    public const int ParameterCount = 37;

    public static readonly string[] Tables =
        ["sp_token", "sp_string", "sp_date", "sp_number", "sp_quantity", "sp_uri", "sp_reference", "sp_composite"];

    /// <summary>CTEs inserting the rows for the resource of CTE <paramref name="source"/>; arrays from <c>$first</c>.</summary>
    /// <param name="typeParam">Parameter holding the resource type (self references resolve to the new row).</param>
    public static string InsertCtes(string source, int first, int typeParam, int idParam)
    {
        var p = first;
        string P(string type) => "$" + p++ + "::" + type;
        return $"""
            i_token AS (
                INSERT INTO sp_token (res_id, sp_id, h_sv, h_v, h_s, sort_key)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("bigint[]")}, {P("bigint[]")}, {P("bigint[]")}, {P("text[]")}) AS x),
            i_string AS (
                INSERT INTO sp_string (res_id, sp_id, norm, h_exact)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("text[]")}, {P("bigint[]")}) AS x),
            i_date AS (
                INSERT INTO sp_date (res_id, sp_id, lo, hi, long_span)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("timestamptz[]")}, {P("timestamptz[]")}, {P("boolean[]")}) AS x),
            i_number AS (
                INSERT INTO sp_number (res_id, sp_id, lo, hi)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("numeric[]")}, {P("numeric[]")}) AS x),
            i_quantity AS (
                INSERT INTO sp_quantity (res_id, sp_id, lo, hi, h_sc, h_c, h_u)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("numeric[]")}, {P("numeric[]")}, {P("bigint[]")}, {P("bigint[]")}, {P("bigint[]")}) AS x),
            i_uri AS (
                INSERT INTO sp_uri (res_id, sp_id, uri)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("text[]")}) AS x),
            i_reference AS (
                INSERT INTO sp_reference (res_id, sp_id, target_type, target_id, target_res_id, url)
                SELECT {source}.res_id, x.sp, x.tt, x.tid,
                       coalesce(t.res_id, CASE WHEN x.tt = ${typeParam} AND x.tid = ${idParam} THEN {source}.res_id END), x.url
                FROM {source} CROSS JOIN unnest({P("int[]")}, {P("text[]")}, {P("text[]")}, {P("text[]")}) AS x(sp, tt, tid, url)
                LEFT JOIN resource t ON t.res_type = x.tt AND t.fhir_id = x.tid),
            i_composite AS (
                INSERT INTO sp_composite (res_id, sp_id, k1sv, k1v, k2sv, k2v, lo, hi, dlo, dhi)
                SELECT {source}.res_id, x.* FROM {source}, unnest({P("int[]")}, {P("bigint[]")}, {P("bigint[]")}, {P("bigint[]")}, {P("bigint[]")},
                    {P("numeric[]")}, {P("numeric[]")}, {P("timestamptz[]")}, {P("timestamptz[]")}) AS x)
            """;
    }

    /// <summary>CTEs deleting every index row of the resource of CTE <paramref name="source"/>.</summary>
    public static string DeleteCtes(string source) => string.Join(",\n", Tables.Select(t =>
        $"d_{t} AS (DELETE FROM {t} x USING {source} WHERE x.res_id = {source}.res_id)"));

    /// <summary>References written before their target existed now point at it (same statement as its creation).</summary>
    public static string BackfillCte(string source, int typeParam, int idParam) =>
        $"""
        b_reference AS (
            UPDATE sp_reference x SET target_res_id = {source}.res_id FROM {source}
            WHERE x.target_type = ${typeParam} AND x.target_id = ${idParam} AND x.target_res_id IS NULL)
        """;

    /// <summary>The array values, in the order of <see cref="InsertCtes"/>.</summary>
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
