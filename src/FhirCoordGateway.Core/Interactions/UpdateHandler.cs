using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// FHIR update (with create-on-update for a client id), version-aware update with If-Match, and
/// conditional update. https://hl7.org/fhir/R4/http.html#update
/// </summary>
public sealed class UpdateHandler(IResourceStore store, VersionFactory versions, IResourceIdGenerator ids)
{
    public async Task<WriteResult> HandleAsync(string resourceType, string id, Resource resource, int? ifMatch, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var result = await UpdateInAsync(uow, resourceType, id, resource, ifMatch, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Conditional update: no match creates (with the body's id if it has one), one match updates it,
    /// several answer 412. https://hl7.org/fhir/R4/http.html#cond-update
    /// </summary>
    public async Task<WriteResult> HandleConditionalAsync(
        string resourceType, SearchQuery criteria, Resource resource, int? ifMatch, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var id = await ResolveConditionalAsync(uow, resourceType, criteria, resource, ct);
        var result = await WriteAsync(uow, resource, id, ifMatch, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    /// <summary>Update <c>[type]/[id]</c> inside <paramref name="uow"/>; the body's id must be the URL's.</summary>
    public Task<WriteResult> UpdateInAsync(
        IResourceUnitOfWork uow, string resourceType, string id, Resource resource, int? ifMatch, CancellationToken ct)
    {
        ResourceTypes.EnsureValidId(id);
        CreateHandler.EnsureBodyType(resourceType, resource);
        if (resource.Id is null)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "An update needs the resource id in the body.", $"{resourceType}.id");
        }

        if (resource.Id != id)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, $"The id in the body ({resource.Id}) differs from the id in the URL ({id}).", $"{resourceType}.id");
        }

        return WriteAsync(uow, resource, id, ifMatch, ct);
    }

    /// <summary>The id a conditional update writes: the single match, else the body's id, else a new one.</summary>
    public async Task<string> ResolveConditionalAsync(
        IResourceUnitOfWork uow, string resourceType, SearchQuery criteria, Resource resource, CancellationToken ct)
    {
        CreateHandler.EnsureBodyType(resourceType, resource);
        if (resource.Id is not null)
        {
            ResourceTypes.EnsureValidId(resource.Id, $"{resourceType}.id");
        }

        var match = await ConditionalMatch.FindSingleAsync(uow, criteria, "update", ct);
        if (match is not null && resource.Id is not null && resource.Id != match.Id)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, "The id in the body differs from the id of the resource the criteria match.", $"{resourceType}.id");
        }

        return match?.Id ?? resource.Id ?? ids.NewId();
    }

    /// <summary>
    /// Validates <paramref name="resource"/> and writes it as the next version of <c>[type]/[id]</c> under
    /// the resource lock; 412 when <paramref name="ifMatch"/> is not the current version.
    /// </summary>
    public Task<WriteResult> WriteAsync(IResourceUnitOfWork uow, Resource resource, string id, int? ifMatch, CancellationToken ct) =>
        WriteAsync(uow, resource, id, ifMatch, operation: null, ct);

    /// <summary>As <see cref="WriteAsync(IResourceUnitOfWork, Resource, string, int?, CancellationToken)"/>, for a FHIR operation that writes.</summary>
    /// <param name="operation">The operation's name without '$', which version rules may require (<see cref="IVersionRule"/>).</param>
    public async Task<WriteResult> WriteAsync(
        IResourceUnitOfWork uow, Resource resource, string id, int? ifMatch, string? operation, CancellationToken ct)
    {
        var warnings = versions.Validate(resource);
        return await WriteVersionAsync(uow, resource, id, ifMatch, operation, warnings, ct);
    }

    /// <summary>
    /// Writes <paramref name="resource"/> (its id set), which the server builds and changes itself, as the version after
    /// <paramref name="current"/>, the stored version the caller read and changed (null, or a deletion, for a new one):
    /// version rules, index and change log as any write, but without the profile validation a client's body gets (its
    /// shape is fixed by code and proven by tests: the delivery Tasks, docs/adr/0008, whose validation on each state
    /// change was the largest CPU cost of a delivery) and without the resource lock and read, since the write names the
    /// version it replaces and fails with 409 if another writer moved it meanwhile (two round trips fewer per delivery
    /// Task write, docs/BENCHMARKS.md).
    /// </summary>
    public async Task<WriteResult> WriteServerBuiltAsync(IResourceUnitOfWork uow, Resource resource, StoredResource? current, CancellationToken ct)
    {
        var version = await versions.NextAsync(uow, resource, resource.Id!, current, operation: null, ct);
        await uow.WriteAsync(version, current, ct);
        return new WriteResult(CreateHandler.Stored(version), resource, Created: current is null || current.Deleted, new OperationOutcome());
    }

    private async Task<WriteResult> WriteVersionAsync(
        IResourceUnitOfWork uow, Resource resource, string id, int? ifMatch, string? operation, OperationOutcome warnings, CancellationToken ct)
    {
        await uow.LockAsync($"{resource.TypeName}/{id}", ct);
        var current = await uow.ReadAsync(resource.TypeName, id, ct);
        EnsureIfMatch(resource.TypeName, id, ifMatch, current);
        var version = await versions.NextAsync(uow, resource, id, current, operation, ct);
        await uow.WriteAsync(version, current, ct);
        return new WriteResult(CreateHandler.Stored(version), resource, Created: current is null || current.Deleted, warnings);
    }

    internal static void EnsureIfMatch(string resourceType, string id, int? ifMatch, StoredResource? current)
    {
        if (ifMatch is not null && current?.Version != ifMatch)
        {
            throw FhirOutcomeException.Of(
                FailureKind.PreconditionFailed,
                current is null
                    ? $"If-Match names version {ifMatch} but {resourceType}/{id} does not exist."
                    : $"If-Match names version {ifMatch} but the current version is {current.Version}.");
        }
    }
}
