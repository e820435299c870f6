using System.Net;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using Hl7.Fhir.Model;
using FhirCoordGateway.Core.Transactions;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// Reads a Subscription into a <see cref="SubscriptionSpec"/> and lists every rule it breaks, each with its
/// location: criteria that the search parser understands (classic R4) or a topic this server publishes
/// (backport), filters that parse as searches on the topic's type, a rest-hook channel to an https endpoint
/// (http only on loopback when <see cref="SubscriptionOptions.AllowLoopbackHttp"/>), well-formed headers, and
/// a status a client may write.
/// https://hl7.org/fhir/R4/subscription.html, https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/StructureDefinition-backport-subscription.html
/// </summary>
public sealed class SubscriptionReader(SearchQueryParser parser, SubscriptionOptions options)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Version, SubscriptionSpec? Spec)> _stored = new(StringComparer.Ordinal);

    /// <summary>The spec, or null with the issues that make the Subscription unacceptable.</summary>
    public (SubscriptionSpec? Spec, IReadOnlyList<OperationOutcome.IssueComponent> Issues) Read(Subscription subscription) =>
        Read(subscription, stored: false);

    /// <summary>
    /// The spec of a stored version. The write-time policies (who may set a status, which endpoints this node
    /// allows) were applied when it was written and are not applied again: nodes with other settings still deliver.
    /// </summary>
    public SubscriptionSpec ReadStored(Subscription subscription)
    {
        var (spec, issues) = Read(subscription, stored: true);
        return spec ?? throw new InvalidOperationException(
            $"Stored Subscription/{subscription.Id} no longer reads: {string.Join("; ", issues.Select(i => i.Diagnostics))}");
    }

    /// <summary>
    /// The spec of a subscription's stored version, or null when the body is not a Subscription that still reads.
    /// Cached per id and version: the consumer and the delivery jobs read the same few versions over and over.
    /// </summary>
    public SubscriptionSpec? TryReadStored(SubscriptionState state)
    {
        if (_stored.TryGetValue(state.Id, out var cached) && cached.Version == state.ResourceVersion)
        {
            return cached.Spec;
        }

        var spec = state.Json is not null && ResourceJson.Parse(state.Json) is Subscription subscription ? Read(subscription, stored: true).Spec : null;
        _stored[state.Id] = (state.ResourceVersion, spec);
        return spec;
    }

    private (SubscriptionSpec? Spec, IReadOnlyList<OperationOutcome.IssueComponent> Issues) Read(Subscription subscription, bool stored)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        var status = subscription.StatusElement?.JsonValue as string;
        if (status is null)
        {
            issues.Add(Issue("Subscription.status is required.", "Subscription.status"));
        }
        else if (!stored && status is SubscriptionStatusCodes.Active or SubscriptionStatusCodes.Error && !SubscriptionStatusScope.IsServer)
        {
            issues.Add(Issue(
                $"Subscription.status '{status}' is set by the server; write 'requested' (the server then checks the endpoint with a handshake) or 'off'.",
                "Subscription.status"));
        }

        var (topic, criteria) = ReadCriteria(subscription, issues);
        var filters = topic is null ? [] : ReadFilters(subscription, topic, issues);
        var endpoint = ReadEndpoint(subscription.Channel, stored, issues);
        var headers = ReadHeaders(subscription.Channel, issues);
        var (content, mime) = ReadPayload(subscription.Channel, topic is not null, issues);
        var channel = subscription.Channel;
        var spec = issues.Count == 0
            ? new SubscriptionSpec(
                subscription.Id ?? "", status!, topic, criteria, filters, endpoint!, headers, content, mime,
                PositiveInt(channel, BackportUrls.HeartbeatPeriod), PositiveInt(channel, BackportUrls.Timeout), PositiveInt(channel, BackportUrls.MaxCount))
            {
                Owner = SubscriptionOwner.Of(subscription),
            }
            : null;
        return (spec, issues);
    }

    private (SubscriptionTopic?, SearchQuery?) ReadCriteria(Subscription subscription, List<OperationOutcome.IssueComponent> issues)
    {
        var text = subscription.Criteria?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            issues.Add(Issue("Subscription.criteria is required: a search (Type?param=value) or a topic canonical.", "Subscription.criteria"));
            return (null, null);
        }

        if (SubscriptionTopics.Find(text) is { } topic)
        {
            return (topic, null);
        }

        if (text.StartsWith("http://", StringComparison.Ordinal) || text.StartsWith("https://", StringComparison.Ordinal))
        {
            issues.Add(Issue(
                $"Subscription.criteria '{text}' is not a topic of this server (see the CapabilityStatement) nor a search.", "Subscription.criteria"));
            return (null, null);
        }

        return (null, ParseSearch(text, null, "Subscription.criteria", issues));
    }

    private List<SearchQuery> ReadFilters(Subscription subscription, SubscriptionTopic topic, List<OperationOutcome.IssueComponent> issues)
    {
        var filters = new List<SearchQuery>();
        var extensions = subscription.CriteriaElement?.Extension.Where(e => e.Url == BackportUrls.FilterCriteria).ToList() ?? [];
        for (var i = 0; i < extensions.Count; i++)
        {
            var location = $"Subscription.criteria.extension('{BackportUrls.FilterCriteria}')[{i}]";
            if (extensions[i].Value is not FhirString { Value: { Length: > 0 } filter })
            {
                issues.Add(Issue("backport-filter-criteria needs a valueString.", location));
                continue;
            }

            if (ParseSearch(filter, topic.ResourceType, location, issues) is { } query)
            {
                filters.Add(query);
            }
        }

        return filters;
    }

    /// <summary>Parses <c>Type?query</c> (or a bare <c>query</c> when <paramref name="type"/> is given) in strict mode.</summary>
    private SearchQuery? ParseSearch(string text, string? type, string location, List<OperationOutcome.IssueComponent> issues)
    {
        var question = text.IndexOf('?');
        var head = question < 0 ? (type is null ? text : null) : text[..question];
        var query = question < 0 ? (type is null ? "" : text) : text[(question + 1)..];
        var resourceType = string.IsNullOrEmpty(head) ? type : head;
        if (resourceType is null || !ResourceTypes.All.Contains(resourceType) || (type is not null && resourceType != type))
        {
            issues.Add(Issue(
                type is null ? $"'{text}' does not start with a resource type (Type?param=value)." : $"'{text}' must be a search on {type}.",
                location));
            return null;
        }

        try
        {
            return parser.Parse(resourceType, QueryText.Parse(query), strict: true);
        }
        catch (FhirOutcomeException e)
        {
            issues.AddRange(e.Outcome.Issue.Select(i => Issue($"'{text}': {i.Diagnostics}", location)));
            return null;
        }
    }

    private Uri? ReadEndpoint(Subscription.ChannelComponent? channel, bool stored, List<OperationOutcome.IssueComponent> issues)
    {
        if (channel?.Type is not Subscription.SubscriptionChannelType.RestHook)
        {
            issues.Add(Issue("Only channel.type 'rest-hook' is supported.", "Subscription.channel.type"));
            return null;
        }

        if (channel.Extension.Any(e => e.Url == BackportUrls.ChannelType))
        {
            issues.Add(Issue("Custom channel types (backport-channel-type) are not supported.", "Subscription.channel.type"));
        }

        if (!Uri.TryCreate(channel.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.UserInfo.Length > 0)
        {
            issues.Add(Issue("channel.endpoint must be an absolute URL without credentials.", "Subscription.channel.endpoint"));
            return null;
        }

        var loopbackHttp = options.AllowLoopbackHttp && endpoint.Scheme == Uri.UriSchemeHttp && IsLoopback(endpoint);
        if (!stored && endpoint.Scheme != Uri.UriSchemeHttps && !loopbackHttp)
        {
            issues.Add(Issue(
                options.AllowLoopbackHttp ? "channel.endpoint must use https (http only on a loopback host)." : "channel.endpoint must use https.",
                "Subscription.channel.endpoint"));
            return null;
        }

        return endpoint;
    }

    private static bool IsLoopback(Uri endpoint) =>
        endpoint.IsLoopback || (IPAddress.TryParse(endpoint.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    private static List<KeyValuePair<string, string>> ReadHeaders(Subscription.ChannelComponent? channel, List<OperationOutcome.IssueComponent> issues)
    {
        var headers = new List<KeyValuePair<string, string>>();
        var list = channel?.Header.ToList() ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var colon = list[i]?.IndexOf(':') ?? -1;
            var name = colon > 0 ? list[i]![..colon].Trim() : "";
            if (name.Length == 0 || !name.All(c => c > 32 && c < 127 && c != ':') || list[i]!.Any(c => c is '\r' or '\n'))
            {
                issues.Add(Issue("channel.header must read 'Name: value'.", $"Subscription.channel.header[{i}]"));
                continue;
            }

            headers.Add(new(name, list[i]![(colon + 1)..].Trim()));
        }

        return headers;
    }

    private static (PayloadContent, string?) ReadPayload(Subscription.ChannelComponent? channel, bool topic, List<OperationOutcome.IssueComponent> issues)
    {
        var mime = channel?.Payload;
        if (mime is not null && !mime.StartsWith("application/fhir+json", StringComparison.Ordinal)
            && !mime.StartsWith("application/fhir+xml", StringComparison.Ordinal)
            && !mime.StartsWith("application/json", StringComparison.Ordinal) && !mime.StartsWith("application/xml", StringComparison.Ordinal))
        {
            issues.Add(Issue("channel.payload must be application/fhir+json or application/fhir+xml.", "Subscription.channel.payload"));
        }

        var code = (channel?.PayloadElement?.GetExtensionValue<Code>(BackportUrls.PayloadContent))?.Value;
        if (!topic)
        {
            // R4 classic: no payload is a ping, a mime type sends the resource.
            return (mime is null ? PayloadContent.Empty : PayloadContent.FullResource, mime);
        }

        if (mime is null)
        {
            issues.Add(Issue("A topic subscription needs channel.payload (the notification Bundle's mime type).", "Subscription.channel.payload"));
        }

        PayloadContent? content = code switch
        {
            null or "empty" => PayloadContent.Empty,
            "id-only" => PayloadContent.IdOnly,
            "full-resource" => PayloadContent.FullResource,
            _ => null,
        };
        if (content is null)
        {
            issues.Add(Issue("backport-payload-content must be empty, id-only or full-resource.",
                $"Subscription.channel.payload.extension('{BackportUrls.PayloadContent}')"));
        }

        return (content ?? PayloadContent.Empty, mime);
    }

    private static int? PositiveInt(Subscription.ChannelComponent channel, string url) =>
        channel.GetExtensionValue<DataType>(url) switch
        {
            UnsignedInt { Value: > 0 } u => u.Value,
            PositiveInt { Value: > 0 } p => p.Value,
            Integer { Value: > 0 } n => n.Value,
            _ => null,
        };

    private static OperationOutcome.IssueComponent Issue(string message, string location) =>
        Outcomes.Outcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid, message, location);
}

/// <summary>
/// Marks the server's own Subscription status writes (handshake → active, failures → error): only those may
/// write <c>active</c> or <c>error</c>; clients write <c>requested</c> or <c>off</c>. An async-local flag, set
/// only around the status writer's update, so the normal write path (validation, versioning, change log) serves both.
/// </summary>
public static class SubscriptionStatusScope
{
    private static readonly AsyncLocal<bool> Flag = new();

    public static bool IsServer => Flag.Value;

    public static IDisposable Server()
    {
        Flag.Value = true;
        return new Reset();
    }

    private sealed class Reset : IDisposable
    {
        public void Dispose() => Flag.Value = false;
    }
}
