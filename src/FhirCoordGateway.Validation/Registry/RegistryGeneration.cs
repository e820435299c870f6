using System.Collections.Concurrent;
using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.CoreDefinitions;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;

namespace FhirCoordGateway.Validation.Registry;

/// <summary>
/// An immutable snapshot of all conformance resources the validator sees: core definitions plus local ones.
/// </summary>
/// <remarks>
/// Design: a conformance write never mutates a generation; it builds the next one. A validation pins the generation
/// it started with, so a profile update landing mid-request cannot mix old and new definitions (HAPI #6505), and
/// nothing expires on a timer. Compiled core profiles are shared by all generations (core never changes); compiled
/// local profiles and terminology expansions belong to their generation and are dropped with it.
/// </remarks>
public sealed class RegistryGeneration : IAsyncResourceResolver
{
    private const string CoreSdBase = "http://hl7.org/fhir/StructureDefinition/";

    private readonly IReadOnlyDictionary<string, Resource> _local;
    private readonly ConcurrentDictionary<string, Lazy<CompiledProfile?>> _coreCompiled;
    private readonly ConcurrentDictionary<string, Lazy<CompiledProfile?>> _localCompiled = new(StringComparer.Ordinal);

    internal RegistryGeneration(long number, CoreDefinitionSource core, IReadOnlyDictionary<string, Resource> local,
        ConcurrentDictionary<string, Lazy<CompiledProfile?>> coreCompiled)
    {
        Number = number;
        Core = core;
        _local = local;
        _coreCompiled = coreCompiled;
        Terminology = new TerminologyCache(this);
    }

    /// <summary>Increases by one with every accepted conformance write.</summary>
    public long Number { get; }

    internal CoreDefinitionSource Core { get; }

    internal TerminologyCache Terminology { get; }

    /// <summary>Local (non-core) conformance resources of this generation, StructureDefinitions with snapshots.</summary>
    public IEnumerable<Resource> LocalResources => _local.Where(kv => !kv.Key.Contains('|')).Select(kv => kv.Value).Distinct();

    internal IReadOnlyDictionary<string, Resource> LocalMap => _local;

    /// <summary>Resolves a canonical ("url" or "url|version"), local first, then core. Never mutate the result.</summary>
    public Resource? Resolve(string canonical)
    {
        if (_local.TryGetValue(canonical, out var r)) return r;
        int bar = canonical.IndexOf('|');
        if (bar > 0 && _local.TryGetValue(canonical[..bar], out r)) return r;
        return Core.Resolve(canonical);
    }

    /// <summary>Resolves a canonical restricted to one resource type (a CodeSystem and a ValueSet may share a URL).</summary>
    public Resource? Resolve(string resourceType, string canonical)
    {
        var r = Resolve(canonical);
        if (r is not null && r.TypeName == resourceType) return r;
        return Core.Resolve(resourceType, canonical);
    }

    internal bool IsLocal(string canonical)
    {
        int bar = canonical.IndexOf('|');
        return _local.ContainsKey(bar > 0 ? canonical[..bar] : canonical);
    }

    /// <summary>The compiled profile for a StructureDefinition canonical, or null when unknown or not compilable.</summary>
    internal CompiledProfile? GetProfile(string canonical)
    {
        int bar = canonical.IndexOf('|');
        var url = bar > 0 ? canonical[..bar] : canonical;
        var cache = IsLocal(url) ? _localCompiled : _coreCompiled;
        return cache.GetOrAdd(url, u => new Lazy<CompiledProfile?>(() => CompileOrNull(u))).Value;
    }

    /// <summary>The compiled core definition of a FHIR type ("Patient", "Identifier", "string").</summary>
    internal CompiledProfile? GetCoreType(string typeName) => GetProfile(CoreSdBase + typeName);

    private CompiledProfile? CompileOrNull(string url)
    {
        if (Resolve(url) is not StructureDefinition { Snapshot.Element.Count: > 0 } sd) return null;
        return ProfileCompiler.Compile(sd, isCore: !IsLocal(url));
    }

    public Task<Resource?> ResolveByUriAsync(string uri) => Task.FromResult(Resolve(uri));

    public Task<Resource?> ResolveByCanonicalUriAsync(string uri) => Task.FromResult(Resolve(uri));

    public Task<ResolverResult> TryResolveByUriAsync(string uri) =>
        Task.FromResult(CoreDefinitionSource.ToResult(Resolve(uri), uri));

    public Task<ResolverResult> TryResolveByCanonicalUriAsync(string uri) =>
        Task.FromResult(CoreDefinitionSource.ToResult(Resolve(uri), uri));
}
