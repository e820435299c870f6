using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// Search at type, system and compartment level returning a searchset Bundle: keyset paging with an opaque
/// <c>_page</c> token bound to the query, totals, includes (with an OperationOutcome entry when capped),
/// <c>_summary</c> and <c>_elements</c>. https://hl7.org/fhir/R4/http.html#search
/// </summary>
public sealed class SearchHandler(ISearchStore store, PagingOptions paging, SearchOptions? options = null)
{
    private static readonly Coding Subsetted = new("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "SUBSETTED");
    private readonly SearchOptions _options = options ?? new SearchOptions();

    /// <summary>Type-level search with a self link built by the caller (kept for existing callers).</summary>
    public Task<Bundle> HandleAsync(string baseUrl, SearchQuery query, string? count, string selfLink, CancellationToken ct) =>
        HandleAsync(baseUrl, query.ResourceType, count is null ? query : query with { Count = paging.PageSize(count) }, ct);

    /// <param name="path">The searched path relative to the base: <c>Patient</c>, empty (system), <c>Patient/1/CarePlan</c>.</param>
    public async Task<Bundle> HandleAsync(string baseUrl, string path, SearchQuery query, CancellationToken ct)
    {
        foreach (var type in query.Types)
        {
            ResourceTypes.EnsureSupported(type);
        }

        var countOnly = query.Summary == SummaryMode.Count || query.Count == 0;
        var pageSize = countOnly ? 0 : paging.PageSize(query.Count?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var cursor = query.PageToken is null ? null : PageTokens.Decode(query.PageToken, query);
        var total = countOnly ? TotalMode.Accurate : query.Total;
        var page = await store.SearchAsync(query, new SearchPaging(pageSize, cursor, total, _options.MaxIncludes, _options.CountTimeoutMs), ct);

        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        if (page.Total is { } t && !(page.TotalIsEstimate && query.Total != TotalMode.Estimate))
        {
            bundle.Total = (int)Math.Min(t, int.MaxValue);
        }

        var understood = query.Understood.Where(p => p.Key != "_page").ToList();
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = Link(baseUrl, path, understood, query.PageToken) });
        if (page.Next is { } next && !countOnly)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = Link(baseUrl, path, understood, PageTokens.Encode(next, query)) });
        }

        foreach (var match in page.Matches)
        {
            bundle.Entry.Add(Entry(baseUrl, match, Bundle.SearchEntryMode.Match, query));
        }

        foreach (var included in page.Included)
        {
            bundle.Entry.Add(Entry(baseUrl, included, Bundle.SearchEntryMode.Include, query));
        }

        var issues = new List<OperationOutcome.IssueComponent>();
        if (page.IncludesCapped)
        {
            issues.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Warning,
                Code = OperationOutcome.IssueType.TooCostly,
                Diagnostics = $"Only the first {_options.MaxIncludes} included resources are returned; narrow the search or page with a smaller _count.",
                Expression = query.Includes.Count > 0 ? ["_include"] : ["_revinclude"],
            });
        }

        if (query.Ignored.Count > 0)
        {
            issues.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.NotSupported,
                Diagnostics = "Unknown search parameters were ignored: " + string.Join(", ", query.Ignored.Distinct()) + ".",
                Expression = query.Ignored.Distinct().ToList(),
            });
        }

        if (issues.Count > 0)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = "urn:uuid:" + Guid.NewGuid(),
                Resource = new OperationOutcome { Issue = issues },
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome },
            });
        }

        return bundle;
    }

    private static Bundle.EntryComponent Entry(string baseUrl, StoredResource stored, Bundle.SearchEntryMode mode, SearchQuery query) => new()
    {
        FullUrl = $"{baseUrl}/{stored.ResourceType}/{stored.Id}",
        Resource = Shape(ResourceJson.Parse(stored.Json!), query),
        Search = new Bundle.SearchComponent { Mode = mode },
    };

    /// <summary>Applies <c>_summary</c> and <c>_elements</c> to a stored resource (marked SUBSETTED).</summary>
    private static Resource Shape(Resource resource, SearchQuery query)
    {
        var summary = query.Summary switch
        {
            SummaryMode.True => SummaryType.True,
            SummaryMode.Text => SummaryType.Text,
            SummaryMode.Data => SummaryType.Data,
            _ => SummaryType.False,
        };
        if (summary == SummaryType.False && query.Elements.Count == 0)
        {
            return resource;
        }

        var json = FhirJsonSerializer.Default.SerializeToString(resource, summary, query.Elements.Count > 0 ? [.. query.Elements] : null);
        var shaped = ResourceJson.Parse(json);
        shaped.Meta ??= new Meta();
        if (!shaped.Meta.Tag.Any(t => t.Code == Subsetted.Code))
        {
            shaped.Meta.Tag.Add((Coding)Subsetted.DeepCopy());
        }

        return shaped;
    }

    private static string Link(string baseUrl, string path, IEnumerable<KeyValuePair<string, string>> parameters, string? page)
    {
        var query = string.Join('&', parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        if (page is not null)
        {
            query += (query.Length > 0 ? "&" : "") + "_page=" + Uri.EscapeDataString(page);
        }

        var url = path.Length == 0 ? baseUrl : $"{baseUrl}/{path}";
        return query.Length > 0 ? url + "?" + query : url;
    }
}

/// <summary>
/// The opaque <c>_page</c> token: base64url JSON of the cursor (last sort values and storage id) and a hash of
/// the query, so that a token cannot continue a different search.
/// </summary>
public static class PageTokens
{
    public static string Encode(PageCursor cursor, SearchQuery query)
    {
        var json = JsonSerializer.Serialize(new Token(QueryHash(query), cursor.SortValues.ToArray(), cursor.ResId));
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static PageCursor Decode(string token, SearchQuery query)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var parsed = JsonSerializer.Deserialize<Token>(Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            if (parsed is not null && parsed.Q == QueryHash(query) && parsed.V is not null)
            {
                return new PageCursor(parsed.V, parsed.Id);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
        }

        throw FhirOutcomeException.Of(FailureKind.Invalid, "_page is not a page token of this search.", "_page");
    }

    private static string QueryHash(SearchQuery query)
    {
        var text = SearchQueryKey.Of(query) + "|" + string.Join(',', query.Types) + "|" + string.Join(',', query.Sort.Select(s => (s.Descending ? "-" : "") + s.Parameter));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    private sealed record Token(string Q, string?[] V, long Id);
}
