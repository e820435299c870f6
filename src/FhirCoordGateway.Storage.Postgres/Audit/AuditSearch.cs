using System.Globalization;
using SortKey = FhirCoordGateway.Core.Search.SortKey;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Search;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Audit;

/// <summary>
/// AuditEvent searches on the audit trail's columns (docs/adr/0016): <c>_id</c>, <c>date</c> and <c>_lastUpdated</c>
/// (both the recorded time), <c>entity</c>, <c>agent</c>, <c>patient</c>, <c>altid</c>, <c>type</c>, <c>subtype</c>,
/// <c>action</c>, <c>outcome</c>, the patient compartment, sorted by recording order or by date, keyset-paged like
/// every search. Anything else answers 400 naming the parameter rather than being silently ignored.
/// </summary>
internal static class AuditSearch
{
    /// <summary>True for a search of AuditEvents alone; refuses one that mixes them with other types or reaches them through another type.</summary>
    public static bool Handles(SearchQuery query)
    {
        if (query.Types is [AuditTrail.ResourceType])
        {
            return true;
        }

        if (query.Types.Contains(AuditTrail.ResourceType) && query.Understood.Any(u => u.Key == "_type"))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "AuditEvent is searched on its own, not with other types.", "_type");
        }

        if (query.RevIncludes.Concat(query.Includes).Any(i => i.SourceType == AuditTrail.ResourceType || i.TargetType == AuditTrail.ResourceType)
            || query.Criteria.Any(c => c is HasCriterion { SourceType: AuditTrail.ResourceType }))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "AuditEvents cannot be included or reverse-chained; search them with entity=.", "_revinclude");
        }

        return false;
    }

    public static async Task<SearchPage> SearchAsync(NpgsqlConnection connection, SearchQuery query, SearchPaging paging, CancellationToken ct)
    {
        if (query.Includes.Count + query.RevIncludes.Count > 0)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "AuditEvent searches do not support _include or _revinclude.", "_include");
        }

        if (query.Restriction is { } restriction && !restriction.Allows(AuditTrail.ResourceType))
        {
            return new SearchPage([], null, 0, false, [], false);
        }

        var p = new SqlParams();
        var where = Where(query, p);
        var byDate = SortByDate(query.Sort);
        var matches = new List<Core.Storage.StoredResource>();
        PageCursor? next = null;
        if (paging.Count > 0)
        {
            var order = byDate is { } descending ? $"recorded{(descending ? " DESC" : "")}, seq" : "seq";
            var keyset = paging.After is { } after ? " AND " + Keyset(byDate, after, p) : "";
            var sql = $"SELECT seq, recorded, body FROM audit_event WHERE {where}{keyset} ORDER BY {order} LIMIT {p.Add(paging.Count + 1)}";
            await using var cmd = p.Command(connection, sql);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                matches.Add(AuditSql.Read(reader, 0));
            }

            if (matches.Count > paging.Count)
            {
                matches.RemoveAt(matches.Count - 1);
                var last = matches[^1];
                next = new PageCursor(byDate is null ? [] : [last.LastUpdated.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)], long.Parse(last.Id, CultureInfo.InvariantCulture));
            }
        }

        long? total = null;
        if (paging.After is null && next is null && paging.Count > 0 && paging.Total != TotalMode.None)
        {
            total = matches.Count;
        }
        else if (paging.Total is TotalMode.Accurate or TotalMode.Estimate)
        {
            var count = new SqlParams();
            await using var cmd = count.Command(connection, $"SELECT count(*) FROM audit_event WHERE {Where(query, count)}");
            total = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        return new SearchPage(matches, next, total, TotalIsEstimate: false, [], IncludesCapped: false);
    }

    /// <summary>Null for recording order; otherwise whether the date sort is descending.</summary>
    private static bool? SortByDate(IReadOnlyList<SortKey> sort) => sort switch
    {
        [] => null,
        [{ Parameter: "date" or "_lastUpdated" } key] => key.Descending,
        _ => throw FhirOutcomeException.Of(FailureKind.Invalid, "AuditEvents sort by date (or _lastUpdated) only.", "_sort"),
    };

    /// <summary>Rows after the cursor: in (recorded, seq) order for a date sort (seq ascending among equal dates), else by seq.</summary>
    private static string Keyset(bool? byDate, PageCursor after, SqlParams p)
    {
        var seq = p.Add(after.ResId);
        if (byDate is not { } descending)
        {
            return $"seq > {seq}";
        }

        var recorded = p.Add(DateTimeOffset.Parse(after.SortValues[0]!, CultureInfo.InvariantCulture));
        return $"(recorded {(descending ? "<" : ">")} {recorded} OR (recorded = {recorded} AND seq > {seq}))";
    }

    /// <summary>
    /// The request's criteria, which must all be supported (400 otherwise), and the caller's restriction, whose criteria
    /// on parameters AuditEvents do not have match nothing (an alternative that cannot be checked grants nothing).
    /// </summary>
    private static string Where(SearchQuery query, SqlParams p)
    {
        var requested = And(query.Criteria, p, strict: true);
        return query.Restriction is { } restriction
            ? $"{requested} AND {And(restriction.CriteriaFor(AuditTrail.ResourceType), p, strict: false)}"
            : requested;
    }

    private static string And(IReadOnlyList<SearchCriterion> criteria, SqlParams p, bool strict) =>
        criteria.Count == 0 ? "TRUE" : string.Join(" AND ", criteria.Select(c => "(" + (Condition(c, p) ?? (strict ? throw Unsupported(c.Parameter) : "FALSE")) + ")"));

    /// <summary>The SQL of a criterion on the audit trail's columns, or null when AuditEvents cannot be searched by it.</summary>
    private static string? Condition(SearchCriterion criterion, SqlParams p) => criterion switch
    {
        IdCriterion id => $"seq = ANY({p.Add(id.Ids.Select(AuditSql.Seq).OfType<long>().ToArray())})",
        DateCriterion { Parameter: "date" or "_lastUpdated" } date => SearchSqlBuilder.Or(date.Values.Select(v => DateSql.Condition(v, "recorded", "recorded", p))),
        ReferenceCriterion { Parameter: "entity" or "agent" or "patient" } reference => SearchSqlBuilder.Or(reference.Values.Select(v => Reference(reference.Parameter, v, p))),
        TokenCriterion { Modifier: TokenModifier.None or TokenModifier.Not, Parameter: "type" or "subtype" or "action" or "outcome" or "altid" or "_security" } token =>
            Negated(token, SearchSqlBuilder.Or(token.Values.Select(v => Token(token.Parameter, v, p)))),
        CompartmentCriterion { CompartmentType: "Patient", Id: { } patient } => $"refs @> ARRAY[{p.Add("patient:Patient/" + patient)}]",
        CompartmentCriterion { CompartmentType: "Patient", Id: null } => "EXISTS (SELECT 1 FROM unnest(refs) k WHERE k LIKE 'patient:%')",
        AnyOfCriterion any => SearchSqlBuilder.Or(any.Alternatives.Select(a => And(a, p, strict: false))),
        _ => null,
    };

    private static string Negated(TokenCriterion token, string condition) => token.Negated ? $"NOT ({condition})" : condition;

    private static string Reference(string parameter, ReferenceValue value, SqlParams p)
    {
        var type = value.Type ?? (parameter == "patient" ? "Patient" : null);
        if (value.Url is { } url)
        {
            return $"refs @> ARRAY[{p.Add($"{parameter}:{url}")}]";
        }

        return type is not null
            ? $"refs @> ARRAY[{p.Add($"{parameter}:{type}/{value.Id}")}]"
            : $"EXISTS (SELECT 1 FROM unnest(refs) k WHERE k LIKE {p.Add(parameter + ":%")} AND split_part(k, '/', 2) = {p.Add(value.Id)})";
    }

    private static string Token(string parameter, TokenValue value, SqlParams p) => parameter switch
    {
        "type" => Coding("type", value, p),
        "subtype" => $"EXISTS (SELECT 1 FROM unnest(subtypes) s WHERE {Coding("s", value, p)})",
        "altid" when value.Code is { } code => $"refs @> ARRAY[{p.Add("altid:" + code)}]",
        // AuditEvents carry no security labels: _security:not (the confidentiality filter) lets every one through.
        "_security" => "FALSE",
        _ when value.Code is { } code => $"{parameter} = {p.Add(code)}", // action, outcome: codes of fixed systems
        _ => "TRUE", // "system|": any code
    };

    /// <summary>A token on a <c>system|code</c> column: both, code in any system, code without system, or any code of a system.</summary>
    private static string Coding(string column, TokenValue value, SqlParams p) => value switch
    {
        { System: { } system, Code: { } code } => $"{column} = {p.Add(system + "|" + code)}",
        { NoSystem: true, Code: { } code } => $"{column} = {p.Add("|" + code)}",
        { Code: { } code } => $"split_part({column}, '|', 2) = {p.Add(code)}",
        { System: { } system } => $"split_part({column}, '|', 1) = {p.Add(system)}",
        _ => "TRUE",
    };

    private static FhirOutcomeException Unsupported(string parameter) => FhirOutcomeException.Of(
        FailureKind.Invalid, $"AuditEvents cannot be searched by '{parameter}'; they support {string.Join(", ", AuditTrail.SearchParameters)}.", parameter);
}
