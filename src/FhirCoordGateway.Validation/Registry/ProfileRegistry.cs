using System.Collections.Concurrent;
using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.CoreDefinitions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Snapshot;
using Hl7.Fhir.Specification.Source;

namespace FhirCoordGateway.Validation.Registry;

/// <summary>Result of loading or writing conformance resources: what was accepted, what was rejected and why.</summary>
public sealed record ConformanceWriteResult(OperationOutcome Outcome, IReadOnlyList<string> Accepted, IReadOnlyList<string> Rejected)
{
    public bool Success => Rejected.Count == 0;
}

/// <summary>
/// The conformance resources the validator uses: R4 core definitions plus local StructureDefinitions, ValueSets
/// and CodeSystems (from <c>profiles/</c> at start-up, or written at run time). Thread-safe.
/// </summary>
/// <remarks>
/// Design: <see cref="Current"/> is an immutable <see cref="RegistryGeneration"/>. A write (serialised by a lock)
/// regenerates the snapshots of the changed StructureDefinitions and of the local ones that derive from them, then
/// publishes the next generation. Readers never lock and never see a half-applied write.
/// </remarks>
public sealed class ProfileRegistry
{
    private static readonly FhirJsonDeserializer FileReader =
        new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

    private readonly object _writeLock = new();
    private readonly CoreDefinitionSource _core;
    private readonly ConcurrentDictionary<string, Lazy<CompiledProfile?>> _coreCompiled = new(StringComparer.Ordinal);
    // Local resources as written (StructureDefinitions possibly differential-only), by url.
    private Dictionary<string, Resource> _sources = new(StringComparer.Ordinal);
    private volatile RegistryGeneration _current;

    public ProfileRegistry(CoreDefinitionSource? core = null)
    {
        _core = core ?? CoreDefinitionSource.Shared;
        _current = new RegistryGeneration(0, _core, new Dictionary<string, Resource>(), _coreCompiled);
    }

    /// <summary>The generation to pin for one validation.</summary>
    public RegistryGeneration Current => _current;

    /// <summary>Loads every StructureDefinition, ValueSet and CodeSystem JSON file at the top of a directory.</summary>
    public ConformanceWriteResult LoadDirectory(string directory)
    {
        var resources = new List<Resource>();
        var outcome = new OperationOutcome();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var r = FileReader.DeserializeResource(File.ReadAllText(file));
                if (r is StructureDefinition or ValueSet or CodeSystem) resources.Add(r);
            }
            catch (Exception ex) when (ex is DeserializationFailedException or System.Text.Json.JsonException)
            {
                outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid,
                    $"{Path.GetFileName(file)}: cannot be parsed: {ex.Message}"));
            }
        }
        var result = AddOrReplace(resources);
        result.Outcome.Issue.InsertRange(0, outcome.Issue);
        return result;
    }

    /// <summary>Adds or replaces conformance resources; takes effect for validations started afterwards.</summary>
    public ConformanceWriteResult AddOrReplace(params Resource[] resources) => AddOrReplace((IEnumerable<Resource>)resources);

    /// <inheritdoc cref="AddOrReplace(Resource[])"/>
    public ConformanceWriteResult AddOrReplace(IEnumerable<Resource> resources)
    {
        lock (_writeLock)
        {
            var outcome = new OperationOutcome();
            var accepted = new List<string>();
            var rejected = new List<string>();
            var sources = new Dictionary<string, Resource>(_sources, StringComparer.Ordinal);
            var changed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in resources)
            {
                if (r is not (StructureDefinition or ValueSet or CodeSystem) || CanonicalOf(r) is not { Length: > 0 } url)
                {
                    rejected.Add(r.TypeName + "/" + r.Id);
                    outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.NotSupported,
                        $"{r.TypeName}/{r.Id}: only StructureDefinition, ValueSet and CodeSystem with a url are accepted"));
                    continue;
                }
                sources[url] = r.DeepCopy();
                changed.Add(url);
            }

            return Commit(sources, changed, outcome, accepted, rejected);
        }
    }

    /// <summary>
    /// Regenerates the snapshots of the changed StructureDefinitions and of the local ones deriving from them, then
    /// publishes the next generation. Called under the write lock.
    /// </summary>
    private ConformanceWriteResult Commit(Dictionary<string, Resource> sources, HashSet<string> changed,
        OperationOutcome outcome, List<string> accepted, List<string> rejected)
    {
        // Snapshots: the changed StructureDefinitions and every local one deriving from them.
        var snapshots = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var (url, r) in sources)
            if (r is not StructureDefinition) snapshots[url] = r;
        var resolver = new MultiResolver(new DictionaryResolver(snapshots), _core);
        var previous = _current;
        foreach (var sd in DependencyOrder(sources.Values.OfType<StructureDefinition>()))
        {
            var url = sd.Url!;
            bool affected = changed.Contains(url) || DependsOn(sd, changed, sources);
            if (!affected && previous.LocalMap.TryGetValue(url, out var kept))
            {
                snapshots[url] = kept;
                continue;
            }
            var (withSnapshot, issues) = GenerateSnapshot(sd, resolver);
            if (withSnapshot is null)
            {
                rejected.Add(url);
                outcome.Issue.AddRange(issues);
                sources.Remove(url);
                // Keep the previous accepted version, if any, so a bad revision does not remove a profile.
                if (_sources.TryGetValue(url, out var old)) sources[url] = old;
                if (previous.LocalMap.TryGetValue(url, out var oldSnap)) snapshots[url] = oldSnap;
                continue;
            }
            snapshots[url] = withSnapshot;
            if (changed.Contains(url)) accepted.Add(url);
        }
        accepted.AddRange(changed.Where(u => sources.TryGetValue(u, out var r) && r is not StructureDefinition));

        var local = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var (url, r) in snapshots)
        {
            local[url] = r;
            if (VersionOf(r) is { Length: > 0 } v) local[url + "|" + v] = r;
        }
        _sources = sources;
        _current = new RegistryGeneration(previous.Number + 1, _core, local, _coreCompiled);
        if (outcome.Issue.Count == 0)
            outcome.Issue.Add(Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                $"{accepted.Count} conformance resource(s) accepted"));
        return new ConformanceWriteResult(outcome, accepted, rejected);
    }

    /// <summary>Removes a local conformance resource (and re-derives the local profiles based on it).</summary>
    public ConformanceWriteResult Remove(string url)
    {
        lock (_writeLock)
        {
            if (!_sources.ContainsKey(url))
                return new ConformanceWriteResult(new OperationOutcome(), [], []);
            var sources = new Dictionary<string, Resource>(_sources, StringComparer.Ordinal);
            sources.Remove(url);
            return Commit(sources, [url], new OperationOutcome(), [], []);
        }
    }

    /// <summary>
    /// A dry run of <see cref="AddOrReplace(Resource[])"/> for one profile: the issues that would reject it against
    /// the current generation, without publishing anything (used to refuse a write before it commits).
    /// </summary>
    public IReadOnlyList<OperationOutcome.IssueComponent> Check(StructureDefinition profile) =>
        GenerateSnapshot(profile, _current).Issues;

    private static (StructureDefinition? Sd, List<OperationOutcome.IssueComponent> Issues) GenerateSnapshot(
        StructureDefinition source, IAsyncResourceResolver resolver)
    {
        var issues = new List<OperationOutcome.IssueComponent>();
        var sd = (StructureDefinition)source.DeepCopy();
        var label = $"StructureDefinition {sd.Url}";
        if (sd.Type is null || sd.Snapshot is null && sd.Differential is null)
        {
            issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid, $"{label}: type and a differential or snapshot are required"));
            return (null, issues);
        }
        if (sd.BaseDefinition is { } baseUrl && resolver.TryResolveByCanonicalUriAsync(baseUrl).GetAwaiter().GetResult().Value is not StructureDefinition)
        {
            issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.NotFound, $"{label}: base definition {baseUrl} is unknown"));
            return (null, issues);
        }
        if (sd.Differential is { Element.Count: > 0 })
        {
            try
            {
                var generator = new SnapshotGenerator(resolver, new SnapshotGeneratorSettings { GenerateElementIds = true });
                generator.UpdateAsync(sd).GetAwaiter().GetResult();
                foreach (var issue in generator.Outcome?.Issue ?? [])
                {
                    if (issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
                    {
                        issue.Diagnostics = $"{label}: snapshot generation failed: {issue.Details?.Text ?? issue.Diagnostics}";
                        issues.Add(issue);
                    }
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Exception, $"{label}: snapshot generation failed: {ex.Message}"));
            }
        }
        if (issues.Count == 0 && sd.Snapshot is not { Element.Count: > 0 })
            issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid, $"{label}: snapshot is empty"));
        // The generator copies a differential element whose path the base lacks (a misspelt element) into the
        // snapshot without a type and reports nothing: such a profile would silently constrain nothing.
        if (issues.Count == 0)
        {
            foreach (var e in sd.Snapshot!.Element)
            {
                if (e.Path?.Contains('.') == true && e.Type.Count == 0 && e.ContentReference is null)
                    issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Structure,
                        $"{label}: differential element '{e.ElementId ?? e.Path}' matches no element of the base definition"));
            }
        }
        if (issues.Count == 0)
        {
            try
            {
                ProfileCompiler.Compile(sd, isCore: false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                issues.Add(Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invalid, $"{label}: cannot be compiled: {ex.Message}"));
            }
        }
        return issues.Count == 0 ? (sd, issues) : (null, issues);
    }

    private static bool DependsOn(StructureDefinition sd, HashSet<string> changed, Dictionary<string, Resource> sources)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<StructureDefinition>([sd]);
        while (stack.Count > 0)
        {
            foreach (var dep in Dependencies(stack.Pop()))
            {
                if (changed.Contains(dep)) return true;
                if (seen.Add(dep) && sources.TryGetValue(dep, out var r) && r is StructureDefinition d) stack.Push(d);
            }
        }
        return false;
    }

    private static IEnumerable<string> Dependencies(StructureDefinition sd)
    {
        if (sd.BaseDefinition is { } b) yield return Unversioned(b);
        foreach (var e in sd.Differential?.Element ?? [])
            foreach (var t in e.Type)
                foreach (var p in t.Profile)
                    if (p is not null) yield return Unversioned(p);
    }

    /// <summary>Bases and type profiles first, so the generator finds their snapshots ready.</summary>
    private static List<StructureDefinition> DependencyOrder(IEnumerable<StructureDefinition> sds)
    {
        var byUrl = sds.Where(s => s.Url is not null).GroupBy(s => s.Url!).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var order = new List<StructureDefinition>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false = visiting, true = done
        void Visit(StructureDefinition sd)
        {
            if (state.ContainsKey(sd.Url!)) return; // done, or a cycle: the generator resolves it lazily
            state[sd.Url!] = false;
            foreach (var dep in Dependencies(sd))
                if (byUrl.TryGetValue(dep, out var d)) Visit(d);
            state[sd.Url!] = true;
            order.Add(sd);
        }
        foreach (var sd in byUrl.Values.OrderBy(s => s.Url, StringComparer.Ordinal)) Visit(sd);
        return order;
    }

    private static string Unversioned(string canonical) => canonical.Split('|')[0];

    internal static string? CanonicalOf(Resource r) => (r as IVersionableConformanceResource)?.Url;

    private static string? VersionOf(Resource r) => (r as IVersionableConformanceResource)?.Version;

    internal static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueSeverity severity, OperationOutcome.IssueType code, string text) =>
        new() { Severity = severity, Code = code, Diagnostics = text };

    /// <summary>Resolver over a dictionary filled while snapshots are generated.</summary>
    private sealed class DictionaryResolver(Dictionary<string, Resource> map) : IAsyncResourceResolver
    {
        private Resource? Find(string uri) =>
            map.TryGetValue(uri, out var r) ? r : map.TryGetValue(Unversioned(uri), out r) ? r : null;

        public Task<Resource?> ResolveByUriAsync(string uri) => Task.FromResult(Find(uri));
        public Task<Resource?> ResolveByCanonicalUriAsync(string uri) => Task.FromResult(Find(uri));
        public Task<ResolverResult> TryResolveByUriAsync(string uri) => Task.FromResult(CoreDefinitionSource.ToResult(Find(uri), uri));
        public Task<ResolverResult> TryResolveByCanonicalUriAsync(string uri) => Task.FromResult(CoreDefinitionSource.ToResult(Find(uri), uri));
    }
}
