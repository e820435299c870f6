using System.Globalization;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>An event with the focus version it points to (null when not loaded: empty payloads, deletions).</summary>
public sealed record EventWithFocus(SubscriptionEvent Event, Resource? Focus)
{
    /// <summary>The focus may not go to this subscriber (ADR 0012): the event keeps its number and time, never its focus.</summary>
    public bool Withheld { get; init; }
}

/// <summary>
/// Builds the backport notification Bundles and the SubscriptionStatus Parameters (profile
/// <c>backport-subscription-status-r4</c>), for notifications, <c>$status</c> and <c>$events</c>.
/// https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/notifications.html
/// </summary>
public sealed class NotificationBuilder(SubscriptionOptions options)
{
    private string Ref(string relative) => options.BaseUrl is { Length: > 0 } b ? $"{b.TrimEnd('/')}/{relative}" : relative;

    /// <summary>The SubscriptionStatus: counters, status, type, and one notification-event per event.</summary>
    /// <param name="withheld">Numbers of the events whose focus is withheld from this subscriber.</param>
    public Parameters Status(
        SubscriptionSpec spec, string status, string type, long eventsSinceStart, IEnumerable<SubscriptionEvent> events, string? error = null,
        IReadOnlySet<long>? withheld = null)
    {
        var parameters = new Parameters { Id = Guid.NewGuid().ToString(), Meta = new Meta { Profile = [BackportUrls.StatusProfile] } };
        parameters.Parameter.Add(new() { Name = "subscription", Value = new ResourceReference(Ref($"Subscription/{spec.Id}")) });
        if (spec.Topic is { } topic)
        {
            parameters.Parameter.Add(new() { Name = "topic", Value = new Canonical(topic.Canonical) });
        }

        parameters.Parameter.Add(new() { Name = "status", Value = new Code(status) });
        parameters.Parameter.Add(new() { Name = "type", Value = new Code(type) });
        parameters.Parameter.Add(new() { Name = "events-since-subscription-start", Value = new FhirString(Number(eventsSinceStart)) });
        foreach (var e in events)
        {
            var part = new Parameters.ParameterComponent { Name = "notification-event" };
            part.Part.Add(new() { Name = "event-number", Value = new FhirString(Number(e.EventNumber)) });
            part.Part.Add(new() { Name = "timestamp", Value = new Instant(e.OccurredAt) });
            if (spec.Content != PayloadContent.Empty && withheld?.Contains(e.EventNumber) != true)
            {
                part.Part.Add(new() { Name = "focus", Value = new ResourceReference(Ref($"{e.FocusReference}/_history/{e.FocusVersion}")) });
            }

            parameters.Parameter.Add(part);
        }

        if (error is not null)
        {
            parameters.Parameter.Add(new() { Name = "error", Value = new CodeableConcept { Text = error } });
        }

        return parameters;
    }

    /// <summary>A notification Bundle (history): the status first, then the focus entries the payload content asks for.</summary>
    public Bundle Notification(SubscriptionSpec spec, string status, string type, long eventsSinceStart, IReadOnlyList<EventWithFocus> events, DateTimeOffset now)
    {
        var bundle = new Bundle { Id = Guid.NewGuid().ToString(), Type = Bundle.BundleType.History, Timestamp = now };
        var statusResource = Status(spec, status, type, eventsSinceStart, events.Select(e => e.Event),
            withheld: events.Where(e => e.Withheld).Select(e => e.Event.EventNumber).ToHashSet());
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = "urn:uuid:" + statusResource.Id,
            Resource = statusResource,
            // bdl-3/bdl-4: history entries carry a request and a response; the status entry reads as a $status call.
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = Ref($"Subscription/{spec.Id}/$status") },
            Response = new Bundle.ResponseComponent { Status = "200" },
        });
        if (spec.Content == PayloadContent.Empty)
        {
            return bundle;
        }

        foreach (var (e, focus) in events.Where(e => !e.Withheld))
        {
            var entry = new Bundle.EntryComponent
            {
                FullUrl = Ref(e.FocusReference),
                Request = new Bundle.RequestComponent
                {
                    Method = e.Operation switch
                    {
                        ChangeOperation.Create => Bundle.HTTPVerb.POST,
                        ChangeOperation.Delete => Bundle.HTTPVerb.DELETE,
                        _ => Bundle.HTTPVerb.PUT,
                    },
                    Url = e.Operation == ChangeOperation.Create ? e.FocusType : e.FocusReference,
                },
                Response = new Bundle.ResponseComponent
                {
                    Status = e.Operation switch { ChangeOperation.Create => "201", ChangeOperation.Delete => "204", _ => "200" },
                    Etag = $"W/\"{e.FocusVersion}\"",
                },
            };
            if (spec.Content == PayloadContent.FullResource && e.Operation != ChangeOperation.Delete)
            {
                entry.Resource = focus;
            }

            bundle.Entry.Add(entry);
        }

        return bundle;
    }

    /// <summary>The $status answer: a searchset of SubscriptionStatus, one per subscription.</summary>
    public static Bundle Searchset(IEnumerable<Parameters> statuses)
    {
        var bundle = new Bundle { Id = Guid.NewGuid().ToString(), Type = Bundle.BundleType.Searchset };
        foreach (var s in statuses)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = "urn:uuid:" + s.Id,
                Resource = s,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        bundle.Total = bundle.Entry.Count;
        return bundle;
    }

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
