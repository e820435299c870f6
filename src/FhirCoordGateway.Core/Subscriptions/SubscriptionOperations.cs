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
    /// <summary>Most events one <c>$events</c> call returns; the caller pages with eventsSinceNumber.</summary>
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
    /// The events numbered from <paramref name="since"/> (inclusive, default 1)
    /// up to <paramref name="until"/>, as a query-event notification Bundle with <paramref name="content"/> (default: the subscription's).
    /// </summary>
    public async Task<Bundle> EventsAsync(string id, long? since, long? until, string? content, CancellationToken ct)
    {
        var state = await LoadAsync(id, ct);
        var spec = reader.TryReadStored(state) ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"Subscription/{id} is not known.");
        if (content is not null)
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

        if (since < 1 || until < 1 || since > until)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "eventsSinceNumber and eventsUntilNumber must be positive, since ≤ until.", "eventsSinceNumber");
        }

        var events = await subscriptions.ReadEventsAsync(id, (since ?? 1) - 1, until, MaxEvents, ct);
        return builder.Notification(spec, state.Status, "query-event", state.EventsSinceStart, await WithFocusAsync(spec, events, ct), clock.GetUtcNow());
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
