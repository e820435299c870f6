using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// FHIR create, and conditional create with If-None-Exist. https://hl7.org/fhir/R4/http.html#create
/// </summary>
// Design: each step is a unit-of-work-level method. A single request runs them in its own unit of work
// (HandleAsync); a transaction runs the same methods in the bundle's one unit of work, resolving every
// target first (so references can be rewritten) and writing later (DELETE → POST → PUT/PATCH → GET).
public sealed class CreateHandler(IResourceStore store, VersionFactory versions, IResourceIdGenerator ids)
{
    /// <param name="ifNoneExist">The parsed If-None-Exist criteria, or null for a plain create.</param>
    public async Task<WriteResult> HandleAsync(string resourceType, Resource resource, SearchQuery? ifNoneExist, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var result = await CreateInAsync(uow, resourceType, resource, ifNoneExist, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    /// <summary>Create (or find the If-None-Exist match) inside <paramref name="uow"/>; the caller commits.</summary>
    public async Task<WriteResult> CreateInAsync(
        IResourceUnitOfWork uow, string resourceType, Resource resource, SearchQuery? ifNoneExist, CancellationToken ct)
    {
        EnsureBodyType(resourceType, resource);
        var target = await ResolveAsync(uow, ifNoneExist, ct);
        return await WriteAsync(uow, resourceType, resource, target, ct);
    }

    /// <summary>
    /// Decides what a create will do: return the single If-None-Exist match (412 when several), or create
    /// under a new server-assigned id (the server ignores any id in the body, http.html#create).
    /// </summary>
    public async Task<CreateTarget> ResolveAsync(IResourceUnitOfWork uow, SearchQuery? ifNoneExist, CancellationToken ct)
    {
        var existing = ifNoneExist is null ? null : await ConditionalMatch.FindSingleAsync(uow, ifNoneExist, "create", ct);
        return new CreateTarget(existing?.Id ?? ids.NewId(), existing);
    }

    /// <summary>Validates <paramref name="resource"/> and writes it as <paramref name="target"/> says.</summary>
    public async Task<WriteResult> WriteAsync(
        IResourceUnitOfWork uow, string resourceType, Resource resource, CreateTarget target, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        EnsureBodyType(resourceType, resource);
        var warnings = versions.Validate(resource);
        if (target.Existing is { } existing)
        {
            return new WriteResult(existing, ResourceJson.Parse(existing.Json!), Created: false, warnings) { Existing = true };
        }

        var version = await versions.NextAsync(uow, resource, target.Id, previous: null, operation: null, ct);
        await uow.WriteAsync(version, previous: null, ct);
        return new WriteResult(Stored(version), resource, Created: true, warnings);
    }

    internal static void EnsureBodyType(string resourceType, Resource resource)
    {
        ResourceTypes.EnsureSupported(resourceType);
        if (resource.TypeName != resourceType)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid,
                $"The body is a {resource.TypeName} but the request addresses {resourceType}.",
                "resourceType");
        }
    }

    internal static StoredResource Stored(NewVersion v) =>
        new(v.ResourceType, v.Id, v.Version, v.LastUpdated, v.Operation == ChangeOperation.Delete, v.Json);
}

/// <summary>What a create will do: write a new resource under <see cref="Id"/>, or return <see cref="Existing"/>.</summary>
public sealed record CreateTarget(string Id, StoredResource? Existing);
