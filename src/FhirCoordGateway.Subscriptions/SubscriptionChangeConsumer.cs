using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Subscriptions;

/// <summary>
/// The change-log consumer "subscriptions": for each committed change, in commit order, it records Subscription
/// versions (their status drives delivery), finds the active or errored subscriptions the change concerns and
/// appends their numbered events, then wakes the senders of the subscriptions that got new events.
/// Replays are harmless: versions only move forward and an event is unique per (subscription, change).
/// </summary>
// Design: subscriptions are evaluated when the change is read from the log, not inside the writing transaction
// (STYLE §8.5): a write never waits for matching, a rolled-back write is never read, and the feed's position
// makes it at-least-once. Workflows publish on topics just by writing resources.
public sealed class SubscriptionChangeConsumer(
    IResourceStore store,
    ISubscriptionStore subscriptions,
    SubscriptionReader reader,
    SubscriptionEvaluator evaluator,
    ISubscriptionDeliveryQueue queue,
    ILogger<SubscriptionChangeConsumer> logger) : IChangeConsumer
{
    public const string ConsumerName = "subscriptions";

    private readonly HashSet<(string, int)> _unreadable = [];

    public string Name => ConsumerName;

    public async Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct)
    {
        var states = (await subscriptions.ListAsync(ct)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        var events = new List<NewSubscriptionEvent>();
        var handshakes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.ResourceType == "Subscription")
            {
                await RecordSubscriptionAsync(entry, states, handshakes, ct);
                continue;
            }

            var candidates = states.Values
                .Where(s => SubscriptionStatusCodes.CountsEvents(s.Status) && s.Json is not null)
                .Select(Spec)
                .OfType<SubscriptionSpec>()
                .Where(s => s.ResourceTypes.Contains(entry.ResourceType))
                .ToList();
            if (candidates.Count > 0)
            {
                await MatchAsync(entry, candidates, events, ct);
            }
        }

        var woken = await subscriptions.AppendAsync(events, ct);
        // Always a sender for a handshake: a retry scheduled for the previous status must not delay it.
        foreach (var id in handshakes.Concat(await subscriptions.RequestWakeAsync([.. woken.Where(id => !handshakes.Contains(id))], ct)))
        {
            queue.Wake(id);
        }
    }

    private async Task RecordSubscriptionAsync(
        ChangeEntry entry, Dictionary<string, SubscriptionState> states, HashSet<string> handshakes, CancellationToken ct)
    {
        var stored = entry.Operation == ChangeOperation.Delete ? null : await store.ReadVersionAsync(entry.ResourceType, entry.Id, entry.Version, ct);
        var status = stored?.Json is null ? SubscriptionStatusCodes.Deleted : (ResourceJson.Parse(stored.Json) as Subscription)?.StatusElement?.JsonValue as string;
        status ??= SubscriptionStatusCodes.Off;
        await subscriptions.SaveAsync(entry.Id, entry.Version, status, stored?.Json, ct);
        var saved = await subscriptions.GetAsync(entry.Id, ct);
        if (saved is null || saved.Status == SubscriptionStatusCodes.Deleted)
        {
            states.Remove(entry.Id);
            return;
        }

        states[entry.Id] = saved;
        if (saved.Status == SubscriptionStatusCodes.Requested && saved.ResourceVersion == entry.Version)
        {
            handshakes.Add(entry.Id);
        }

        logger.LogInformation("Subscription {SubscriptionId} version {VersionId} is {Status}", entry.Id, saved.ResourceVersion, saved.Status);
    }

    private async Task MatchAsync(ChangeEntry entry, List<SubscriptionSpec> candidates, List<NewSubscriptionEvent> events, CancellationToken ct)
    {
        var current = entry.Operation == ChangeOperation.Delete ? null : await ReadAsync(entry, entry.Version, ct);
        // A delete is judged on the version it removed: also whether the subscription's owner could read it.
        var needsPrevious = entry.Version > 1
            && candidates.Any(s => s.Topic?.NeedsPrevious == true || (entry.Operation == ChangeOperation.Delete && (!s.IsTopic || s.Owner is not null)));
        var previous = needsPrevious ? await ReadAsync(entry, entry.Version - 1, ct) : null;
        foreach (var spec in candidates)
        {
            if (await evaluator.MatchesAsync(spec, entry, current, previous, ct))
            {
                events.Add(new NewSubscriptionEvent(spec.Id, entry.Position, entry.ResourceType, entry.Id, entry.Version, entry.Operation, entry.ChangedAt));
            }
        }
    }

    private async Task<Resource?> ReadAsync(ChangeEntry entry, int version, CancellationToken ct) =>
        await store.ReadVersionAsync(entry.ResourceType, entry.Id, version, ct) is { Json: { } json } ? ResourceJson.Parse(json) : null;

    /// <summary>The parsed spec; a body that no longer reads is left out (and logged) rather than blocking the whole feed.</summary>
    private SubscriptionSpec? Spec(SubscriptionState state)
    {
        var spec = reader.TryReadStored(state);
        if (spec is null && _unreadable.Add((state.Id, state.ResourceVersion)))
        {
            logger.LogWarning("Subscription {SubscriptionId} version {VersionId} cannot be read; it gets no events", state.Id, state.ResourceVersion);
        }

        return spec;
    }
}
