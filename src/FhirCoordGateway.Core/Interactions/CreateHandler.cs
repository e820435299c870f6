using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// FHIR create, and conditional create with If-None-Exist. https://hl7.org/fhir/R4/http.html#create
/// </summary>
public sealed class CreateHandler(IResourceStore store, VersionFactory versions, IResourceIdGenerator ids)
{
    /// <param name="ifNoneExist">The parsed If-None-Exist criteria, or null for a plain create.</param>
    public async Task<WriteResult> HandleAsync(string resourceType, Resource resource, SearchQuery? ifNoneExist, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        EnsureBodyType(resourceType, resource);
        var warnings = versions.Validate(resource);

        await using var uow = await store.BeginAsync(ct);
        if (ifNoneExist is not null)
        {
            var existing = await ConditionalMatch.FindSingleAsync(uow, ifNoneExist, "create", ct);
            if (existing is not null)
            {
                return new WriteResult(existing, ResourceJson.Parse(existing.Json!), Created: false, warnings) { Existing = true };
            }
        }

        // The server ignores any id in the body of a create (http.html#create).
        var version = versions.Next(resource, ids.NewId(), previous: null);
        await uow.WriteAsync(version, previous: null, ct);
        await uow.CommitAsync(ct);
        return new WriteResult(Stored(version), resource, Created: true, warnings);
    }

    internal static void EnsureBodyType(string resourceType, Resource resource)
    {
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
