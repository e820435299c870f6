using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// One entry of a batch or transaction: its request as parsed from <c>entry.request</c>, the resource, and
/// what processing decided (target id) and answered. https://hl7.org/fhir/R4/http.html#transaction
/// </summary>
public sealed class TransactionEntry
{
    public required int Index { get; init; }

    public required Bundle.HTTPVerb Method { get; init; }

    public required string ResourceType { get; init; }

    /// <summary>The id of an instance-level request (<c>Patient/1</c>), else null.</summary>
    public string? Id { get; init; }

    /// <summary>The version of a vread (<c>Patient/1/_history/2</c>).</summary>
    public string? VersionId { get; init; }

    /// <summary>The query of a conditional write or a search, without the '?', else null.</summary>
    public string? Query { get; init; }

    public string? IfNoneExist { get; init; }

    public int? IfMatch { get; init; }

    public string? FullUrl { get; init; }

    public Resource? Resource { get; set; }

    /// <summary>The resource id this entry writes, once resolved.</summary>
    public string? TargetId { get; set; }

    /// <summary>For a POST: create a new resource or return the If-None-Exist match.</summary>
    public CreateTarget? Create { get; set; }

    /// <summary>The answer for this entry, set when it was processed.</summary>
    public Bundle.ResponseComponent? Response { get; set; }

    /// <summary>The resource to return in the response entry, if any.</summary>
    public Resource? ResponseResource { get; set; }

    public string Location => $"Bundle.entry[{Index}]";

    public bool IsConditional => Id is null && Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH or Bundle.HTTPVerb.DELETE;

    public FhirInteraction Interaction => Method switch
    {
        Bundle.HTTPVerb.POST => FhirInteraction.Create,
        Bundle.HTTPVerb.PUT => FhirInteraction.Update,
        Bundle.HTTPVerb.PATCH => FhirInteraction.Patch,
        Bundle.HTTPVerb.DELETE => FhirInteraction.Delete,
        _ => VersionId is not null ? FhirInteraction.VRead : Id is not null ? FhirInteraction.Read : FhirInteraction.SearchType,
    };

    public string Describe => $"{Location} ({Method} {ResourceType}{(Id is null ? string.Empty : "/" + Id)})";

    /// <summary>
    /// Parses <c>entry.request</c>: relative URLs (or absolute ones under <paramref name="baseUrl"/>) of the
    /// forms <c>[type]</c>, <c>[type]?query</c>, <c>[type]/[id]</c> and <c>[type]/[id]/_history/[vid]</c>.
    /// Anything else answers 400 naming the entry.
    /// </summary>
    public static TransactionEntry Parse(int index, Bundle.EntryComponent entry, string baseUrl)
    {
        var at = $"Bundle.entry[{index}]";
        var request = entry.Request ?? throw Invalid($"{at} has no request.", $"{at}.request");
        var method = request.Method ?? throw Invalid($"{at} has no request.method.", $"{at}.request.method");
        if (method is Bundle.HTTPVerb.HEAD)
        {
            throw Invalid($"{at}: HEAD is not supported in a bundle.", $"{at}.request.method");
        }

        var url = request.Url ?? throw Invalid($"{at} has no request.url.", $"{at}.request.url");
        if (url.StartsWith(baseUrl + "/", StringComparison.Ordinal))
        {
            url = url[(baseUrl.Length + 1)..];
        }

        var q = url.IndexOf('?');
        var path = q < 0 ? url : url[..q];
        var query = q < 0 ? null : url[(q + 1)..];
        var segments = path.Trim('/').Split('/');
        if (segments.Length is not (1 or 2 or 4) || segments.Any(s => s.Length == 0) || segments[0].Contains(':')
            || (segments.Length == 4 && segments[2] != "_history"))
        {
            throw Invalid($"{at}: request.url '{Shorten(url)}' is not [type], [type]?query, [type]/[id] or [type]/[id]/_history/[vid].", $"{at}.request.url");
        }

        var type = segments[0];
        if (!ResourceTypes.All.Contains(type))
        {
            throw Invalid($"{at}: resource type '{Shorten(type)}' is not supported.", $"{at}.request.url");
        }

        var id = segments.Length >= 2 ? segments[1] : null;
        if (id is not null)
        {
            ResourceTypes.EnsureValidId(id, $"{at}.request.url");
        }

        var vid = segments.Length == 4 ? segments[3] : null;
        if (vid is not null && method != Bundle.HTTPVerb.GET)
        {
            throw Invalid($"{at}: only GET may address a version.", $"{at}.request.url");
        }

        if (id is not null && query is not null && method != Bundle.HTTPVerb.GET)
        {
            throw Invalid($"{at}: an instance URL takes no search criteria.", $"{at}.request.url");
        }

        switch (method)
        {
            case Bundle.HTTPVerb.POST when id is not null || query is not null:
                throw Invalid($"{at}: a POST entry creates: its url is just the resource type.", $"{at}.request.url");
            case Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH or Bundle.HTTPVerb.DELETE when id is null && string.IsNullOrEmpty(query):
                throw Invalid($"{at}: {method} needs [type]/[id] or [type]?criteria.", $"{at}.request.url");
        }

        if (method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH && entry.Resource is null)
        {
            throw Invalid($"{at}: {method} needs a resource.", $"{at}.resource");
        }

        if (method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT && entry.Resource!.TypeName != type)
        {
            throw Invalid($"{at}: the resource is a {entry.Resource.TypeName} but request.url addresses {type}.", $"{at}.resource");
        }

        int? ifMatch;
        try
        {
            ifMatch = ETag.ParseIfMatch(request.IfMatch);
        }
        catch (FhirOutcomeException)
        {
            throw Invalid($"{at}: request.ifMatch must be a version ETag such as W/\"3\".", $"{at}.request.ifMatch");
        }

        if (request.IfNoneExist is not null && method != Bundle.HTTPVerb.POST)
        {
            throw Invalid($"{at}: ifNoneExist applies to POST only.", $"{at}.request.ifNoneExist");
        }

        return new TransactionEntry
        {
            Index = index,
            Method = method,
            ResourceType = type,
            Id = id,
            VersionId = vid,
            Query = query,
            IfNoneExist = string.IsNullOrWhiteSpace(request.IfNoneExist) ? null : request.IfNoneExist.TrimStart('?'),
            IfMatch = ifMatch,
            FullUrl = string.IsNullOrWhiteSpace(entry.FullUrl) ? null : entry.FullUrl,
            Resource = entry.Resource,
        };
    }

    internal static FhirOutcomeException Invalid(string message, string expression) =>
        FhirOutcomeException.Of(FailureKind.Invalid, message, expression);

    /// <summary>Request text echoed in messages is cut short: it is client input.</summary>
    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
