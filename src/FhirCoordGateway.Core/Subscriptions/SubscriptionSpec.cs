using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>What a notification carries (backport <c>backport-payload-content</c>; R4 classic maps payload none → empty, a mime type → full resource).</summary>
public enum PayloadContent
{
    Empty,
    IdOnly,
    FullResource,
}

/// <summary>
/// A Subscription version read and checked (<see cref="SubscriptionReader"/>): either a classic R4 search in
/// <see cref="Criteria"/>, or a backport topic with its <c>backport-filter-criteria</c> in <see cref="Filters"/>.
/// https://hl7.org/fhir/R4/subscription.html and https://hl7.org/fhir/uv/subscriptions-backport/
/// </summary>
public sealed record SubscriptionSpec(
    string Id,
    string Status,
    SubscriptionTopic? Topic,
    SearchQuery? Criteria,
    IReadOnlyList<SearchQuery> Filters,
    Uri Endpoint,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    PayloadContent Content,
    string? MimeType,
    int? HeartbeatSeconds,
    int? TimeoutSeconds,
    int? MaxCount)
{
    public bool IsTopic => Topic is not null;

    /// <summary>Whose access notifications are limited to (<see cref="SubscriptionOwner"/>); null: nobody's, no limit.</summary>
    public Security.RequestAccess? Owner { get; init; }

    /// <summary>The focus types whose changes can concern this subscription.</summary>
    public IEnumerable<string> ResourceTypes => Topic is not null ? [Topic.ResourceType] : Criteria!.Types;

    /// <summary>XML when the channel asked for it, else JSON.</summary>
    public bool Xml => MimeType is not null && MimeType.Contains("xml", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The Subscription.status codes (R4), as stored and compared.</summary>
public static class SubscriptionStatusCodes
{
    public const string Requested = "requested";
    public const string Active = "active";
    public const string Error = "error";
    public const string Off = "off";

    /// <summary>Our own marker for a deleted Subscription (never a FHIR status).</summary>
    public const string Deleted = "deleted";

    /// <summary>Statuses for which events are still counted: delivery is paused on error but the client can replay with $events.</summary>
    public static bool CountsEvents(string status) => status is Active or Error;
}

/// <summary>The backport IG's extension and profile urls.</summary>
public static class BackportUrls
{
    private const string Base = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";
    public const string FilterCriteria = Base + "backport-filter-criteria";
    public const string PayloadContent = Base + "backport-payload-content";
    public const string HeartbeatPeriod = Base + "backport-heartbeat-period";
    public const string Timeout = Base + "backport-timeout";
    public const string MaxCount = Base + "backport-max-count";
    public const string ChannelType = Base + "backport-channel-type";
    public const string SubscriptionProfile = Base + "backport-subscription";
    public const string StatusProfile = Base + "backport-subscription-status-r4";
    public const string TopicCanonical = Base + "capabilitystatement-subscriptiontopic-canonical";
}
