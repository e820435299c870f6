using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// A business rule on the step from one version of a resource to the next (a workflow's allowed
/// transitions, who may set a field). <see cref="VersionFactory.NextAsync"/> runs every registered rule for
/// every create and update, whatever the path: plain REST, conditional, PATCH, a Bundle entry or an operation.
/// A rule refuses with a <see cref="Outcomes.FhirOutcomeException"/> naming the element.
/// </summary>
public interface IVersionRule
{
    ValueTask CheckAsync(VersionChange change, IResourceUnitOfWork uow, CancellationToken ct);
}

/// <summary>
/// A write about to be stored: the new content, the version it replaces (null or a tombstone for a create),
/// and the FHIR operation that produced it (null for plain REST writes).
/// </summary>
public sealed class VersionChange(Resource next, StoredResource? previous, string? operation)
{
    private Resource? _previousResource;

    public Resource Next { get; } = next;

    public StoredResource? Previous { get; } = previous;

    /// <summary>The operation name without '$' (e.g. <c>validate-by-mt</c>), or null for REST interactions.</summary>
    public string? Operation { get; } = operation;

    /// <summary>The replaced version as a resource, parsed on first use; null for a create or after a delete.</summary>
    public Resource? PreviousResource =>
        _previousResource ??= Previous is { Deleted: false, Json: { } json } ? ResourceJson.Parse(json) : null;
}
