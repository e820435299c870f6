using System.Text.Json.Nodes;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Patch;

/// <summary>
/// FHIR patch on an instance or conditionally, with If-Match, as JSON Patch or FHIRPath Patch.
/// https://hl7.org/fhir/R4/http.html#patch
/// </summary>
// Design: the patch is applied to the current version under the resource lock, and the result is written
// by UpdateHandler.WriteAsync, the same step every update takes: validated (422 with the profile issues),
// stamped, indexed and put on the change log. Nothing patched is stored unchecked.
public sealed class PatchHandler(IResourceStore store, UpdateHandler updates)
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    public async Task<WriteResult> HandleAsync(string resourceType, string id, PatchDocument patch, int? ifMatch, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var result = await PatchInAsync(uow, resourceType, id, patch, ifMatch, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    public async Task<WriteResult> HandleConditionalAsync(string resourceType, SearchQuery criteria, PatchDocument patch, int? ifMatch, CancellationToken ct)
    {
        await using var uow = await store.BeginAsync(ct);
        var id = await ResolveConditionalAsync(uow, resourceType, criteria, ct);
        var result = await PatchInAsync(uow, resourceType, id, patch, ifMatch, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    /// <summary>The single match of a conditional patch: 404 when none, 412 when several.</summary>
    public async Task<string> ResolveConditionalAsync(IResourceUnitOfWork uow, string resourceType, SearchQuery criteria, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        var match = await ConditionalMatch.FindSingleAsync(uow, criteria, "patch", ct)
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"No {resourceType} matches the criteria of this conditional patch.");
        return match.Id;
    }

    /// <summary>Patches the current version of <c>[type]/[id]</c> inside <paramref name="uow"/>.</summary>
    public async Task<WriteResult> PatchInAsync(
        IResourceUnitOfWork uow, string resourceType, string id, PatchDocument patch, int? ifMatch, CancellationToken ct)
    {
        ResourceTypes.EnsureSupported(resourceType);
        ResourceTypes.EnsureValidId(id);
        await uow.LockAsync($"{resourceType}/{id}", ct);
        var current = await uow.ReadAsync(resourceType, id, ct);
        if (current is null)
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"{resourceType}/{id} does not exist.");
        }

        if (current.Deleted)
        {
            throw FhirOutcomeException.Of(FailureKind.Gone, $"{resourceType}/{id} was deleted (version {current.Version}).");
        }

        UpdateHandler.EnsureIfMatch(resourceType, id, ifMatch, current);
        var patched = Apply(current.Json!, patch);
        if (patched.TypeName != resourceType || patched.Id != id)
        {
            throw FhirOutcomeException.Of(FailureKind.Unprocessable, "A patch may not change the resource type or id.", $"{resourceType}.id");
        }

        return await updates.WriteAsync(uow, patched, id, ifMatch, ct);
    }

    private static Resource Apply(string json, PatchDocument patch)
    {
        if (patch.FhirPath is { } parameters)
        {
            var resource = ResourceJson.Parse(json);
            FhirPathPatch.Apply(resource, parameters);
            return resource;
        }

        var result = JsonPatch.Apply(JsonNode.Parse(json)!, patch.Json!);
        try
        {
            return Strict.DeserializeResource(result.ToJsonString());
        }
        catch (DeserializationFailedException e)
        {
            // The patch was well formed but its result is not a valid resource.
            throw new FhirOutcomeException(FailureKind.Unprocessable, e.ToOperationOutcome());
        }
        catch (System.Text.Json.JsonException)
        {
            throw FhirOutcomeException.Of(FailureKind.Unprocessable, "The patched document is not a resource.");
        }
    }
}
