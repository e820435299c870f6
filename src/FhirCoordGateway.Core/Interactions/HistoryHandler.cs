using System.Globalization;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// History at instance, type and system level, newest first, with <c>_since</c>, <c>_count</c> and next
/// links that continue from a change-log position (stable while new versions arrive).
/// https://hl7.org/fhir/R4/http.html#history
/// </summary>
public sealed class HistoryHandler(IResourceStore store, PagingOptions paging)
{
    public async Task<Bundle> HandleAsync(HistoryRequest request, CancellationToken ct)
    {
        if (request.ResourceType is not null)
        {
            ResourceTypes.EnsureSupported(request.ResourceType);
        }

        if (request.Id is not null)
        {
            ResourceTypes.EnsureValidId(request.Id);
            if (!await store.ExistsAsync(request.ResourceType!, request.Id, ct))
            {
                throw FhirOutcomeException.Of(FailureKind.NotFound, $"{request.ResourceType}/{request.Id} does not exist.");
            }
        }

        var count = paging.PageSize(request.Count);
        var since = ParseSince(request.Since);
        var before = ParseCursor(request.Page);
        var page = await store.ReadHistoryAsync(new HistoryQuery(request.ResourceType, request.Id, since, count, before), ct);

        var bundle = new Bundle { Type = Bundle.BundleType.History, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = request.Link(count, request.Since, request.Page) });
        if (page.NextBefore is { } next)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = request.Link(count, request.Since, "c" + next.ToString(CultureInfo.InvariantCulture)) });
        }

        foreach (var entry in page.Entries)
        {
            bundle.Entry.Add(ToEntry(request.BaseUrl, entry));
        }

        return bundle;
    }

    private static Bundle.EntryComponent ToEntry(string baseUrl, HistoryEntry entry)
    {
        var v = entry.Version;
        var (method, status) = entry.Operation switch
        {
            ChangeOperation.Create => (Bundle.HTTPVerb.POST, "201 Created"),
            ChangeOperation.Update => (Bundle.HTTPVerb.PUT, "200 OK"),
            _ => (Bundle.HTTPVerb.DELETE, "204 No Content"),
        };
        return new Bundle.EntryComponent
        {
            FullUrl = $"{baseUrl}/{v.ResourceType}/{v.Id}",
            Resource = v.Json is null ? null : ResourceJson.Parse(v.Json),
            Request = new Bundle.RequestComponent
            {
                Method = method,
                Url = method == Bundle.HTTPVerb.POST ? v.ResourceType : $"{v.ResourceType}/{v.Id}",
            },
            Response = new Bundle.ResponseComponent
            {
                Status = status,
                Etag = ETag.Of(v.Version),
                LastModified = v.LastUpdated,
            },
        };
    }

    private static DateTimeOffset? ParseSince(string? since)
    {
        if (since is null)
        {
            return null;
        }

        // An instant: a date-time with a time zone (https://hl7.org/fhir/R4/datatypes.html#instant).
        if (since.Contains('T') && DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            && (since.EndsWith('Z') || since[(since.IndexOf('T') + 1)..].IndexOfAny(['+', '-']) >= 0))
        {
            return value;
        }

        throw FhirOutcomeException.Of(FailureKind.Invalid, "_since must be an instant with a time zone, e.g. 2026-01-31T08:00:00Z.", "_since");
    }

    private static long? ParseCursor(string? page)
    {
        if (page is null)
        {
            return null;
        }

        return page.StartsWith('c') && long.TryParse(page.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : throw FhirOutcomeException.Of(FailureKind.Invalid, "_page is not a page token this server issued.", "_page");
    }
}

/// <summary>A history request as the API received it; <see cref="BaseUrl"/> builds fullUrls and links.</summary>
public sealed record HistoryRequest(string BaseUrl, string? ResourceType, string? Id, string? Since, string? Count, string? Page)
{
    public string Link(int count, string? since, string? page)
    {
        var path = ResourceType is null ? "_history" : Id is null ? $"{ResourceType}/_history" : $"{ResourceType}/{Id}/_history";
        var query = $"_count={count}";
        if (since is not null)
        {
            query += "&_since=" + Uri.EscapeDataString(since);
        }

        if (page is not null)
        {
            query += "&_page=" + page;
        }

        return $"{BaseUrl}/{path}?{query}";
    }
}
