using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// Turns an accepted resource into the next stored version: validation, id and meta, JSON, index rows.
/// Every write path goes through here, so a version always looks the same whatever produced it.
/// </summary>
public sealed class VersionFactory(IResourceValidator validator, SearchIndexer indexer, TimeProvider clock, IEnumerable<IVersionRule>? rules = null)
{
    private readonly IVersionRule[] _rules = rules?.ToArray() ?? [];

    /// <summary>Runs the profile validator; errors answer 422 with every issue, warnings are returned.</summary>
    public OperationOutcome Validate(Resource resource)
    {
        var outcome = validator.Validate(resource);
        if (resource is SearchParameter parameter)
        {
            outcome.Issue.AddRange(SearchParameterRules.Check(parameter, indexer));
        }

        if (outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal))
        {
            throw new FhirOutcomeException(FailureKind.Unprocessable, outcome);
        }

        return outcome;
    }

    /// <summary>
    /// Checks the business rules on the step from <paramref name="previous"/> to <paramref name="resource"/>
    /// (<see cref="IVersionRule"/>), then builds the version as <see cref="Next"/> does. Creates and updates call
    /// this; <paramref name="operation"/> names the FHIR operation writing, null for REST interactions.
    /// </summary>
    public async Task<NewVersion> NextAsync(
        IResourceUnitOfWork uow, Resource resource, string id, StoredResource? previous, string? operation, CancellationToken ct)
    {
        if (_rules.Length > 0)
        {
            var change = new VersionChange(resource, previous, operation);
            foreach (var rule in _rules)
            {
                await rule.CheckAsync(change, uow, ct);
            }
        }

        return Next(resource, id, previous);
    }

    /// <summary>Stamps id, versionId and lastUpdated on <paramref name="resource"/> and builds its new version.</summary>
    public NewVersion Next(Resource resource, string id, StoredResource? previous)
    {
        var version = (previous?.Version ?? 0) + 1;
        var lastUpdated = NextTimestamp(previous);
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = lastUpdated;
        var operation = previous is null || previous.Deleted ? ChangeOperation.Create : ChangeOperation.Update;
        return new NewVersion(
            resource.TypeName, id, version, lastUpdated, operation, ResourceJson.Serialize(resource), indexer.Extract(resource));
    }

    /// <summary>The deletion version that follows <paramref name="current"/>: no body, no index rows.</summary>
    public NewVersion Tombstone(StoredResource current) =>
        new(current.ResourceType, current.Id, current.Version + 1, NextTimestamp(current), ChangeOperation.Delete, null, new SearchIndexRows());

    /// <summary>
    /// Millisecond precision (what FHIR instants and most clients keep), and never earlier than the
    /// previous version even if another node's clock is behind.
    /// </summary>
    private DateTimeOffset NextTimestamp(StoredResource? previous)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(clock.GetUtcNow().ToUnixTimeMilliseconds());
        return previous is not null && now <= previous.LastUpdated ? previous.LastUpdated.AddMilliseconds(1) : now;
    }
}
