using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// Decides whether one committed change concerns one subscription.
/// Classic R4 criteria: a create or update matches when the new version matches the search; a delete matches
/// when the version it removed did (the subscriber learns that a resource it followed is gone). Topics: the
/// topic's trigger (which may compare with the previous version) and then every <c>backport-filter-criteria</c> (AND).
/// </summary>
// Design: criteria are evaluated in memory by SearchMatcher, from the same index rows as SQL search. What it
// cannot decide alone (chains, _has, composites) is asked of the store, restricted to the resource's _id: that
// reads the current version, which may already be newer than the change when writes follow each other fast.
// The alternative (evaluating against historical index rows) would need an index of every version.
public sealed class SubscriptionEvaluator(SearchMatcher matcher, SearchIndexer indexer, IResourceStore store, ResourceVisibility? visibility = null)
{
    /// <summary>Index rows per resource instance: one change is matched against many subscriptions, extracted once.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Resource, SearchIndexRows> _rows = new();

    /// <summary>
    /// Also false when the subscription's owner could not read the change's focus (<paramref name="current"/>, or
    /// <paramref name="previous"/> for a delete): a labelled document or another patient's resource makes no event
    /// at all for them, so neither a notification nor <c>$events</c> can carry it (ADR 0012).
    /// </summary>
    public async Task<bool> MatchesAsync(SubscriptionSpec spec, ChangeEntry change, Resource? current, Resource? previous, CancellationToken ct) =>
        await MatchesCriteriaAsync(spec, change, current, previous, ct) && OwnerSees(spec, change.ResourceType, current ?? previous);

    /// <summary>Whether the owner may read <paramref name="focus"/>; a delete whose removed version is unknown only for an owner with full access.</summary>
    public bool OwnerSees(SubscriptionSpec spec, string type, Resource? focus) =>
        spec.Owner is not { } owner || visibility is null
        || (focus is null ? owner.Level(type, ScopePermissions.Read) == AccessLevel.Full : visibility.CanSee(owner, focus));

    private async Task<bool> MatchesCriteriaAsync(SubscriptionSpec spec, ChangeEntry change, Resource? current, Resource? previous, CancellationToken ct)
    {
        if (spec.Topic is { } topic)
        {
            if (change.ResourceType != topic.ResourceType || !topic.Triggers(change.Operation, current, previous))
            {
                return false;
            }

            var focus = current ?? previous;
            foreach (var filter in spec.Filters)
            {
                if (focus is null || !await DecideAsync(filter, focus, ct))
                {
                    return false;
                }
            }

            return true;
        }

        var criteria = spec.Criteria!;
        if (!criteria.Types.Contains(change.ResourceType))
        {
            return false;
        }

        var subject = change.Operation == ChangeOperation.Delete ? previous : current;
        return subject is not null && await DecideAsync(criteria, subject, ct);
    }

    private async Task<bool> DecideAsync(SearchQuery query, Resource resource, CancellationToken ct)
    {
        if (matcher.Matches(query, resource, _rows.GetValue(resource, indexer.ExtractAlways)) is { } decided)
        {
            return decided;
        }

        var restricted = query with { Criteria = [.. query.Criteria, new IdCriterion([resource.Id ?? ""])] };
        return (await store.SearchAsync(restricted, 1, ct)).Count > 0;
    }
}
