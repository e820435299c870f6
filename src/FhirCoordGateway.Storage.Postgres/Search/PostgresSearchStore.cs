using System.Globalization;
using SortKey = FhirCoordGateway.Core.Search.SortKey;
using System.Text;
using System.Text.Json;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using FhirCoordGateway.Storage.Postgres.Audit;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// Paged search: the page of res_ids first (index scans, keyset condition, LIMIT n+1), then the bodies of those
/// rows only; totals on demand; _include/_revinclude as integer joins from the page's ids.
/// </summary>
public sealed class PostgresSearchStore(NpgsqlDataSource dataSource, SearchParameterCatalog catalog, GenericPlanDataSource? genericPlans = null) : ISearchStore
{
    private const int MaxIncludeDepth = 3;

    public async Task<SearchPage> SearchAsync(SearchQuery query, SearchPaging paging, CancellationToken ct)
    {
        if (AuditSearch.Handles(query))
        {
            await using var audit = await dataSource.OpenConnectionAsync(ct);
            return await AuditSearch.SearchAsync(audit, query, paging, ct);
        }

        var source = genericPlans is not null && KeyLookup(query) ? genericPlans.DataSource : dataSource;
        await using var connection = await source.OpenConnectionAsync(ct);
        var matches = new List<(long ResId, StoredResource Resource, string?[] SortValues)>();
        if (paging.Count > 0)
        {
            await using var cmd = PageCommand(connection, query, paging);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var sortValues = new string?[query.Sort.Count];
                for (var i = 0; i < sortValues.Length; i++)
                {
                    sortValues[i] = reader.IsDBNull(6 + i) ? null : reader.GetString(6 + i);
                }

                matches.Add((reader.GetInt64(0), Read(reader, 1), sortValues));
            }
        }

        PageCursor? next = null;
        if (matches.Count > paging.Count)
        {
            matches.RemoveAt(matches.Count - 1);
            next = new PageCursor(matches[^1].SortValues, matches[^1].ResId);
        }

        long? total = null;
        var estimate = false;
        if (paging.After is null && next is null && paging.Count > 0 && paging.Total != TotalMode.None)
        {
            total = matches.Count; // a first page that is not full gives the total for free
        }
        else if (paging.Total == TotalMode.Accurate)
        {
            total = await CountAsync(connection, query, paging.CountTimeoutMs, ct);
        }
        else if (paging.Total == TotalMode.Estimate)
        {
            (total, estimate) = (await EstimateAsync(connection, query, ct), true);
        }

        var (included, capped) = await IncludesAsync(connection, query, matches.Select(m => (m.ResId, m.Resource.ResourceType)).ToList(), paging.MaxIncludes, ct);
        return new SearchPage(matches.Select(m => m.Resource).ToList(), next, total, estimate, included, capped);
    }

    /// <summary>
    /// Searches by unique keys only (one identifier value, one id, no sort, no restriction): the same plan fits
    /// every value, so they run on the <see cref="GenericPlanDataSource"/>.
    /// </summary>
    private bool KeyLookup(SearchQuery query) =>
        query.Criteria.Count > 0 && query.Sort.Count == 0 && query.Restriction is null && query.Types.Count == 1
        && query.Criteria.All(c => c switch
        {
            IdCriterion id => id.Ids.Count == 1,
            TokenCriterion { Modifier: TokenModifier.None, Values: [{ Code: not null } value] } t =>
                (value.System is not null || value.NoSystem) && catalog.Find(query.ResourceType, t.Parameter)?.Expression is { } e
                && e.Contains(".identifier", StringComparison.Ordinal),
            _ => false,
        });

    private NpgsqlCommand PageCommand(NpgsqlConnection connection, SearchQuery query, SearchPaging paging)
    {
        var p = new SqlParams();
        var where = SearchSqlBuilder.Where(query, "r", p);
        var sorts = query.Sort.Select((k, i) => (Key: k, Expr: SortExpression(k, query.Types, p), Name: "s" + i)).ToList();
        var select = new StringBuilder("SELECT r.res_id");
        foreach (var s in sorts)
        {
            select.Append($", {s.Expr.Sql} AS {s.Name}");
        }

        var order = string.Join(", ", sorts.Select(s => $"q.{s.Name}{(s.Key.Descending ? " DESC" : "")} NULLS LAST").Append("q.res_id"));
        var keyset = paging.After is { } after ? " WHERE " + Keyset(sorts.Select(s => (s.Name, s.Key.Descending, s.Expr.Type)).ToList(), after, p) : "";
        var limit = p.Add(paging.Count + 1);
        var sql = $"""
            WITH page AS (
              SELECT * FROM ({select} FROM resource r WHERE {where}) q{keyset}
              ORDER BY {order} LIMIT {limit})
            SELECT q.res_id, r.res_type, r.fhir_id, r.version, r.last_updated, r.body{string.Concat(sorts.Select(s => $", q.{s.Name}::text"))}
            FROM page q JOIN resource r ON r.res_id = q.res_id
            ORDER BY {order}
            """;
        return p.Command(connection, sql);
    }

    /// <summary>
    /// Rows strictly after the cursor in (s0, s1, …, res_id) order, NULLs last: for each key either "after" the
    /// cursor's value, or equal and the remaining keys decide.
    /// </summary>
    private static string Keyset(List<(string Name, bool Descending, string Type)> keys, PageCursor after, SqlParams p)
    {
        string Build(int i)
        {
            if (i == keys.Count)
            {
                return $"q.res_id > {p.Add(after.ResId)}";
            }

            var (name, descending, type) = keys[i];
            var value = after.SortValues.Count > i ? after.SortValues[i] : null;
            var rest = Build(i + 1);
            if (value is null)
            {
                return $"(q.{name} IS NULL AND {rest})";
            }

            var v = $"{p.Add(value)}::{type}";
            var op = descending ? "<" : ">";
            return $"(q.{name} {op} {v} OR q.{name} IS NULL OR (q.{name} = {v} AND {rest}))";
        }

        return Build(0);
    }

    private (string Sql, string Type) SortExpression(SortKey key, IReadOnlyList<string> types, SqlParams p)
    {
        switch (key.Parameter)
        {
            case "_id":
                return ("r.fhir_id", "text");
            case "_lastUpdated":
                return ("r.last_updated", "timestamptz");
        }

        var definition = catalog.Find(types[0], key.Parameter)?.Type; // the parser checked every searched type has it
        var sp = p.Add(SearchSqlBuilder.Sp(types, key.Parameter));
        var agg = key.Descending ? "max" : "min";
        return definition switch
        {
            SearchParamType.String => ($"(SELECT {agg}(x.norm) FROM sp_string x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "text"),
            SearchParamType.Date => ($"(SELECT {agg}(x.{(key.Descending ? "hi" : "lo")}) FROM sp_date x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "timestamptz"),
            SearchParamType.Number => ($"(SELECT {agg}(x.{(key.Descending ? "hi" : "lo")}) FROM sp_number x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "numeric"),
            SearchParamType.Quantity => ($"(SELECT {agg}(x.{(key.Descending ? "hi" : "lo")}) FROM sp_quantity x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "numeric"),
            // Tokens by code then system (sort_key); references by target "Type/id", or the URL of an absolute one.
            SearchParamType.Token => ($"(SELECT {agg}(x.sort_key) FROM sp_token x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "text"),
            SearchParamType.Reference => ($"(SELECT {agg}(coalesce(x.target_type || '/' || x.target_id, x.url)) FROM sp_reference x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "text"),
            _ => ($"(SELECT {agg}(x.uri) FROM sp_uri x WHERE x.res_id = r.res_id AND x.sp_id = ANY({sp}))", "text"),
        };
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, SearchQuery query, int timeoutMs, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand($"SET LOCAL statement_timeout = {timeoutMs.ToString(CultureInfo.InvariantCulture)}", connection, tx))
        {
            await set.ExecuteNonQueryAsync(ct);
        }

        var p = new SqlParams();
        await using var cmd = p.Command(connection, $"SELECT count(*) FROM resource r WHERE {SearchSqlBuilder.Where(query, "r", p)}");
        cmd.Transaction = tx;
        var count = (long)(await cmd.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return count;
    }

    /// <summary>The planner's row estimate of the count (EXPLAIN, no execution).</summary>
    private static async Task<long> EstimateAsync(NpgsqlConnection connection, SearchQuery query, CancellationToken ct)
    {
        var p = new SqlParams();
        await using var cmd = p.Command(connection, $"EXPLAIN (FORMAT JSON) SELECT 1 FROM resource r WHERE {SearchSqlBuilder.Where(query, "r", p)}");
        var json = (string)(await cmd.ExecuteScalarAsync(ct))!;
        using var doc = JsonDocument.Parse(json);
        return (long)doc.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }

    private async Task<(List<StoredResource> Included, bool Capped)> IncludesAsync(
        NpgsqlConnection connection, SearchQuery query, List<(long ResId, string Type)> page, int cap, CancellationToken ct)
    {
        var included = new List<StoredResource>();
        if (page.Count == 0 || (query.Includes.Count == 0 && query.RevIncludes.Count == 0))
        {
            return (included, false);
        }

        var seen = page.Select(m => m.ResId).ToHashSet();
        var frontier = page;
        for (var depth = 0; depth < MaxIncludeDepth && frontier.Count > 0; depth++)
        {
            var next = new List<(long ResId, string Type)>();
            var includes = query.Includes.Where(i => depth == 0 || i.Iterate).ToList();
            var revIncludes = query.RevIncludes.Where(i => depth == 0 || i.Iterate).ToList();
            foreach (var spec in includes)
            {
                foreach (var row in await IncludeAsync(connection, query.Restriction, spec, frontier, reverse: false, cap + 1, ct))
                {
                    if (seen.Add(row.ResId))
                    {
                        included.Add(row.Resource);
                        next.Add((row.ResId, row.Resource.ResourceType));
                    }
                }
            }

            foreach (var spec in revIncludes)
            {
                foreach (var row in await IncludeAsync(connection, query.Restriction, spec, frontier, reverse: true, cap + 1, ct))
                {
                    if (seen.Add(row.ResId))
                    {
                        included.Add(row.Resource);
                        next.Add((row.ResId, row.Resource.ResourceType));
                    }
                }
            }

            if (included.Count > cap)
            {
                return (included.Take(cap).ToList(), true);
            }

            frontier = next;
        }

        return (included, false);
    }

    private async Task<List<(long ResId, StoredResource Resource)>> IncludeAsync(
        NpgsqlConnection connection, SearchRestriction? restriction, IncludeSpec spec, List<(long ResId, string Type)> frontier, bool reverse, int limit, CancellationToken ct)
    {
        // _include: references from the frontier's resources of the source type; _revinclude: references to the frontier from the source type.
        var sources = spec.SourceType == "*"
            ? (reverse ? catalog.All.Select(p => p.ResourceType).Distinct().ToList() : frontier.Select(f => f.Type).Distinct().ToList())
            : [spec.SourceType];
        var sp = sources.SelectMany(t => spec.Parameter == "*"
                ? catalog.For(t).Where(p => p.Type == SearchParamType.Reference).Select(p => SearchKeys.ParamId(t, p.Code))
                : [SearchKeys.ParamId(t, spec.Parameter)])
            .Distinct().ToArray();
        var ids = (reverse || spec.SourceType == "*" ? frontier : frontier.Where(f => f.Type == spec.SourceType)).Select(f => f.ResId).ToArray();
        if (ids.Length == 0 || sp.Length == 0)
        {
            return [];
        }

        var p = new SqlParams();
        var join = reverse ? "r.res_id = x.res_id" : "r.res_id = x.target_res_id";
        var from = reverse ? $"x.target_res_id = ANY({p.Add(ids)})" : $"x.res_id = ANY({p.Add(ids)})";
        var typeFilter = spec.TargetType is { } target && !reverse ? $" AND r.res_type = {p.Add(target)}" : "";
        if (restriction is not null)
        {
            // Included resources are returned too: the caller's restriction applies to them as to matches.
            var types = reverse ? sources : spec.TargetType is { } only ? [only] : ResourceTypes.All.ToList();
            typeFilter += " AND " + SearchSqlBuilder.Restricted(restriction, types, "r", p);
        }

        var sql = $"""
            SELECT DISTINCT r.res_id, r.res_type, r.fhir_id, r.version, r.last_updated, r.body
            FROM sp_reference x JOIN resource r ON {join}
            WHERE {from} AND x.sp_id = ANY({p.Add(sp)}) AND NOT r.deleted{typeFilter}
            ORDER BY r.res_id LIMIT {p.Add(limit)}
            """;
        await using var cmd = p.Command(connection, sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<(long, StoredResource)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt64(0), Read(reader, 1)));
        }

        return rows;
    }

    private static StoredResource Read(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first), reader.GetString(first + 1), reader.GetInt32(first + 2), Sql.ReadTimestamp(reader, first + 3), false, reader.GetString(first + 4));
}
