using System.Collections.Concurrent;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// Keeps the validator's registry in step with the StructureDefinitions, ValueSets and CodeSystems written
/// through the API: once a write commits, the new version is used by every validation that starts afterwards
/// (no restart; the registry rebuilds what depends on it). A deletion removes the resource's canonical.
/// </summary>
public sealed class ConformanceRegistryUpdater(ProfileRegistry registry, ILogger<ConformanceRegistryUpdater> logger) : ICommittedWritesObserver
{
    public static readonly IReadOnlySet<string> ConformanceTypes = new HashSet<string>(["StructureDefinition", "ValueSet", "CodeSystem"]);

    // The canonical of each stored conformance resource, to know what a tombstone (which has no body) removes.
    private readonly ConcurrentDictionary<string, string> _canonicalById = new(StringComparer.Ordinal);

    public void OnCommitted(IReadOnlyList<NewVersion> versions)
    {
        foreach (var version in versions.Where(v => ConformanceTypes.Contains(v.ResourceType)))
        {
            var key = $"{version.ResourceType}/{version.Id}";
            if (version.Json is null)
            {
                if (_canonicalById.TryRemove(key, out var url))
                {
                    registry.Remove(url);
                    logger.LogInformation("Conformance resource {ResourceType}/{ResourceId} removed from the validator", version.ResourceType, version.Id);
                }

                continue;
            }

            Publish(ResourceJson.Parse(version.Json), key);
        }
    }

    /// <summary>Loads stored conformance resources (at start-up, after the profiles folder: stored versions are newer).</summary>
    public ConformanceWriteResult Load(IEnumerable<StoredResource> stored)
    {
        var resources = stored.Where(s => s.Json is not null).Select(s => ResourceJson.Parse(s.Json!)).ToList();
        foreach (var resource in resources)
        {
            Remember(resource, $"{resource.TypeName}/{resource.Id}");
        }

        return registry.AddOrReplace(resources);
    }

    private void Publish(Resource resource, string key)
    {
        var result = registry.AddOrReplace(resource);
        Remember(resource, key);
        if (!result.Success)
        {
            // The write was validated (snapshot dry run) before it committed, so this only happens when a
            // concurrent write changed what it depends on.
            logger.LogWarning("Conformance resource {ResourceType}/{ResourceId} stored but not accepted by the validator", resource.TypeName, resource.Id);
        }
    }

    private void Remember(Resource resource, string key)
    {
        if (resource is IVersionableConformanceResource { Url: { Length: > 0 } url })
        {
            _canonicalById[key] = url;
        }
    }
}
