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
        ResourceTypes.EnsureSupported(resourceType);
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

        var warnings = versions.Validate(resource);
        await using var uow = await store.BeginAsync(ct);
        var result = await WriteAsync(uow, resource, id, ifMatch, warnings, ct);
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
        ResourceTypes.EnsureSupported(resourceType);
        CreateHandler.EnsureBodyType(resourceType, resource);
        if (resource.Id is not null)
        {
            ResourceTypes.EnsureValidId(resource.Id, $"{resourceType}.id");
        }

        var warnings = versions.Validate(resource);
        await using var uow = await store.BeginAsync(ct);
        var match = await ConditionalMatch.FindSingleAsync(uow, criteria, "update", ct);
        if (match is not null && resource.Id is not null && resource.Id != match.Id)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, "The id in the body differs from the id of the resource the criteria match.", $"{resourceType}.id");
        }

        var id = match?.Id ?? resource.Id ?? ids.NewId();
        var result = await WriteAsync(uow, resource, id, ifMatch, warnings, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    private async Task<WriteResult> WriteAsync(
        IResourceUnitOfWork uow, Resource resource, string id, int? ifMatch, OperationOutcome warnings, CancellationToken ct)
    {
        await uow.LockAsync($"{resource.TypeName}/{id}", ct);
        var current = await uow.ReadAsync(resource.TypeName, id, ct);
        if (ifMatch is not null && current?.Version != ifMatch)
        {
            throw FhirOutcomeException.Of(
                FailureKind.PreconditionFailed,
                current is null
                    ? $"If-Match names version {ifMatch} but {resource.TypeName}/{id} does not exist."
                    : $"If-Match names version {ifMatch} but the current version is {current.Version}.");
        }

        var version = versions.Next(resource, id, current);
        await uow.WriteAsync(version, current, ct);
        return new WriteResult(CreateHandler.Stored(version), resource, Created: current is null || current.Deleted, warnings);
    }
}
