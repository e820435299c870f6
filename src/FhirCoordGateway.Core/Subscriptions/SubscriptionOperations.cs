using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// The backport operations a subscriber uses to detect and fill gaps: <c>$status</c> (type and instance) and
/// <c>$events</c> (replay by event number). https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/operations.html
/// </summary>
public sealed class SubscriptionOperations(
    ISubscriptionStore subscriptions, IResourceStore store, SubscriptionReader reader, NotificationBuilder builder, TimeProvider clock,
    Security.ResourceVisibility? visibility = null)
{
    /// <summary>Most events one <c>$events</c> call returns; the caller follows the <c>next</c> link for more.</summary>
    public const int MaxEvents = 1000;

    /// <summary>Failed attempts shown as <c>error</c> in a status.</summary>
    private const int ShownAttempts = 5;

    /// <summary>The status of the given subscriptions (all when <paramref name="ids"/> is empty), optionally of some statuses only.</summary>
    public async Task<Bundle> StatusAsync(IReadOnlyList<string> ids, IReadOnlyList<string> statuses, CancellationToken ct)
    {
        var states = ids.Count == 0
            ? await subscriptions.ListAsync(ct)
            : [.. await System.Threading.Tasks.Task.WhenAll(ids.Select(id => LoadAsync(id, ct)))];
        var list = new List<Parameters>();
        foreach (var state in states.Where(s => statuses.Count == 0 || statuses.Contains(s.Status)))
        {
            if (reader.TryReadStored(state) is { } spec)
            {
                list.Add(await StatusOfAsync(state, spec, ct));
            }
        }

        return NotificationBuilder.Searchset(list);
    }

    /// <summary>
    /// The events numbered from <c>since</c> (inclusive, default 1) up to <c>until</c>, at most <c>count</c> of
    /// them (default and cap <see cref="MaxEvents"/>), as a query-event notification Bundle with the asked content
    /// (default: the subscription's). When more events remain in the range, a <c>next</c> link asks for them
    /// with the same parameters from the first event left out (the IG's own parameters, so any client can page).
    /// </summary>
    public async Task<Bundle> EventsAsync(EventsQuery query, CancellationToken ct)
    {
        var state = await LoadAsync(query.Id, ct);
        var spec = reader.TryReadStored(state) ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"Subscription/{query.Id} is not known.");
        if (query.Content is { } content)
        {
            spec = spec with
            {
                Content = content switch
                {
                    "empty" => PayloadContent.Empty,
                    "id-only" => PayloadContent.IdOnly,
                    "full-resource" => PayloadContent.FullResource,
                    _ => throw FhirOutcomeException.Of(FailureKind.Invalid, "content must be empty, id-only or full-resource.", "content"),
                },
            };
        }

        if (query.Since < 1 || query.Until < 1 || query.Since > query.Until)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "eventsSinceNumber and eventsUntilNumber must be positive, since ≤ until.", "eventsSinceNumber");
        }

        if (query.Count < 1)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "_count must be a positive whole number.", "_count");
        }

        var count = (int)Math.Min(query.Count ?? MaxEvents, MaxEvents);
        // One more than the page: whether a next page exists without a second query.
        var events = await subscriptions.ReadEventsAsync(query.Id, (query.Since ?? 1) - 1, query.Until, count + 1, ct);
        var page = events.Take(count).ToList();
        var bundle = builder.Notification(spec, state.Status, "query-event", state.EventsSinceStart, await WithFocusAsync(spec, page, ct), clock.GetUtcNow());
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = query.Link(query.Since, count) });
        if (events.Count > count)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = query.Link(events[count].EventNumber, count) });
        }

        return bundle;
    }

    /// <summary>
    /// The events with their focus versions loaded when the payload carries resources (full-resource). A focus that the
    /// subscription's owner may not read (its access changed since the event was made), or that the caller of
    /// <c>$events</c> may not read (the secured store hides it), is withheld: the event goes out without its focus.
    /// </summary>
    public async Task<IReadOnlyList<EventWithFocus>> WithFocusAsync(SubscriptionSpec spec, IReadOnlyList<SubscriptionEvent> events, CancellationToken ct)
    {
        var checkOwner = spec.Owner is not null && visibility is not null && spec.Content != PayloadContent.Empty;
        var withFocus = new List<EventWithFocus>(events.Count);
        foreach (var e in events)
        {
            var load = e.Operation != ChangeOperation.Delete && (spec.Content == PayloadContent.FullResource || checkOwner);
            var focus = load && await store.ReadVersionAsync(e.FocusType, e.FocusId, e.FocusVersion, ct) is { Json: { } json } ? ResourceJson.Parse(json) : null;
            var withheld = load && (focus is null || (checkOwner && !visibility!.CanSee(spec.Owner!, focus)));
            withFocus.Add(new EventWithFocus(e, withheld || spec.Content != PayloadContent.FullResource ? null : focus) { Withheld = withheld });
        }

        return withFocus;
    }

    private async Task<Parameters> StatusOfAsync(SubscriptionState state, SubscriptionSpec spec, CancellationToken ct)
    {
        var status = builder.Status(spec, state.Status, "query-status", state.EventsSinceStart, []);
        // Each recorded attempt that failed since the last success shows as an error: what the subscriber missed and why.
        foreach (var attempt in (await subscriptions.ReadAttemptsAsync(state.Id, ShownAttempts, ct)).TakeWhile(a => !a.Succeeded))
        {
            status.Parameter.Add(new Parameters.ParameterComponent
            {
                Name = "error",
                Value = new CodeableConcept
                {
                    Coding = [new Coding("http://terminology.hl7.org/CodeSystem/subscription-error", attempt.HttpStatus is null ? "no-response" : "http-error")],
                    Text = $"{attempt.AttemptedAt:O} {attempt.Kind}: {attempt.Error}",
                },
            });
        }

        return status;
    }

    private async Task<SubscriptionState> LoadAsync(string id, CancellationToken ct)
    {
        var state = await subscriptions.GetAsync(id, ct);
        if (state?.Json is not null)
        {
            return state;
        }

        // Written but not yet seen by the change consumer: it exists, it is simply still requested.
        var stored = await store.ReadAsync("Subscription", id, ct);
        if (stored?.Json is null)
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Subscription/{id} is not known.");
        }

        var status = (ResourceJson.Parse(stored.Json) as Subscription)?.StatusElement?.JsonValue as string ?? SubscriptionStatusCodes.Requested;
        return new SubscriptionState(id, stored.Version, status, stored.Json, 0, 0, 0, null, null, null);
    }
}

/// <summary>The arguments of one <c>$events</c> call; <see cref="BaseUrl"/> (the service base) makes the paging links.</summary>
public sealed record EventsQuery(string BaseUrl, string Id, long? Since, long? Until, string? Content, long? Count)
{
    /// <summary>This query from event <paramref name="since"/>, <paramref name="count"/> events a page.</summary>
    public string Link(long? since, int count)
    {
        var parameters = new List<string>();
        if (since is { } s)
        {
            parameters.Add("eventsSinceNumber=" + NotificationBuilder.Number(s));
        }

        if (Until is { } u)
        {
            parameters.Add("eventsUntilNumber=" + NotificationBuilder.Number(u));
        }

        if (Content is { } c)
        {
            parameters.Add("content=" + Uri.EscapeDataString(c));
        }

        parameters.Add("_count=" + NotificationBuilder.Number(count));
        return $"{BaseUrl.TrimEnd('/')}/Subscription/{Id}/$events?{string.Join('&', parameters)}";
    }
}
