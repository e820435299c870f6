using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.Registry;
using FhirCoordGateway.Validation.Rules;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>
/// One validation of one resource against one registry generation: walks the POCO with
/// <see cref="Base.EnumerateElements"/> alongside the compiled profile trees. Not shared between threads.
/// </summary>
internal sealed partial class ValidationRun
{
    private const string CoreSdBase = "http://hl7.org/fhir/StructureDefinition/";

    private readonly RegistryGeneration _gen;
    private readonly FhirProfileValidatorOptions _options;
    private readonly IssueSink _issues;
    private readonly Dictionary<(Base, ElementNode), bool> _probeMemo;
    private int _depth;

    public ValidationRun(RegistryGeneration gen, FhirProfileValidatorOptions options, IssueSink issues,
        Dictionary<(Base, ElementNode), bool>? probeMemo = null)
    {
        _gen = gen;
        _options = options;
        _issues = issues;
        _probeMemo = probeMemo ?? new Dictionary<(Base, ElementNode), bool>(ReferenceEqualityComparer<Base, ElementNode>.Instance);
    }

    /// <summary>What the walk knows about the resource being validated (FHIRPath %resource, %rootResource...).</summary>
    /// <remarks>The POCO node and FHIRPath context are built on first use: most resources need no FHIRPath.</remarks>
    internal sealed class Scope
    {
        private PocoNode? _node;
        private FhirEvaluationContext? _context;

        public required Resource Resource { get; init; }
        /// <summary>The scope of the containing resource, for contained resources only.</summary>
        public Scope? Container { get; init; }
        public required Hl7.Fhir.Specification.Terminology.ICodeValidationTerminologyService Terminology { get; init; }
        /// <summary>Bundle entries by fullUrl and by "Type/id", for reference resolution.</summary>
        public Dictionary<string, Resource>? BundleIndex { get; init; }

        public Resource RootResource => Container?.RootResource ?? Resource;
        public PocoNode ResourceNode => _node ??= Resource.ToPocoNode();
        private PocoNode RootNode => Container?.RootNode ?? ResourceNode;

        public FhirEvaluationContext Context => _context ??=
            new FhirEvaluationContext { TerminologyService = Terminology }.WithResourceOverrides(ResourceNode, RootNode);
    }

    /// <summary>Where an element sits: its parent's definition path and type (for extension contexts).</summary>
    private readonly record struct Parent(string DefinitionPath, string TypeName, Base? Item);

    public void ValidateResource(Resource resource, string path, IEnumerable<string> extraProfiles, Scope? container,
        Dictionary<string, Resource>? bundleIndex)
    {
        var scope = new Scope
        {
            Resource = resource,
            Container = container,
            Terminology = _gen.Terminology.Service,
            BundleIndex = resource is Bundle b ? BuildBundleIndex(b) : bundleIndex,
        };

        foreach (var profile in ProfilesToCheck(resource, path, extraProfiles))
            ValidateNode(resource, profile.Root, path, scope, new Parent("", "", null), null);

        CheckContainedIds(resource, path);
        if (_options.FrenchIdentifierRules) FrenchIdentifierRules.Check(resource, path, _issues);
    }

    /// <summary>meta.profile + configured defaults + extra, minus ancestors of others; the core type when none apply.</summary>
    private List<CompiledProfile> ProfilesToCheck(Resource resource, string path, IEnumerable<string> extraProfiles)
    {
        var type = resource.TypeName;
        var result = new List<CompiledProfile>();
        var requested = new List<(string Url, string Expression)>();
        var metaProfiles = resource.Meta?.Profile.ToList() ?? [];
        for (int i = 0; i < metaProfiles.Count; i++)
            if (metaProfiles[i] is { } u) requested.Add((u, $"{path}.meta.profile[{i}]"));
        if (_options.DefaultProfiles.TryGetValue(type, out var defaults))
            requested.AddRange(defaults.Select(u => (u, path)));
        requested.AddRange(extraProfiles.Select(u => (u, path)));

        foreach (var (url, expression) in requested)
        {
            var profile = _gen.GetProfile(url);
            if (profile is null)
            {
                var severity = url.StartsWith(_options.OwnCanonicalBase, StringComparison.Ordinal)
                    ? _options.UnknownOwnProfileSeverity : _options.UnknownOtherProfileSeverity;
                _issues.Add(severity, IssueType.NotFound, expression, null, $"Profile {url} is unknown and was not checked");
                continue;
            }
            if (profile.Type != type)
            {
                _issues.Error(IssueType.Structure, expression, $"Profile {url} is for {profile.Type}, not {type}");
                continue;
            }
            if (!result.Any(p => p.Url == profile.Url)) result.Add(profile);
        }

        // Drop profiles that are ancestors of another listed profile: the descendant's snapshot includes them.
        var ancestors = new HashSet<string>(result.SelectMany(p => Ancestors(p.Definition)), StringComparer.Ordinal);
        result.RemoveAll(p => ancestors.Contains(p.Url));
        if (result.Count == 0 && _gen.GetCoreType(type) is { } core) result.Add(core);
        else if (result.Count == 0) _issues.Error(IssueType.Structure, path, $"Unknown resource type {type}");
        return result;
    }

    private IEnumerable<string> Ancestors(StructureDefinition sd)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var b = sd.BaseDefinition; b is not null && seen.Add(b);)
        {
            yield return b.Split('|')[0];
            b = (_gen.Resolve(b) as StructureDefinition)?.BaseDefinition;
        }
    }

    private void ValidateNode(Base item, ElementNode node, string path, Scope scope, Parent parent, TypeRef? hint)
    {
        if (_issues.Full || _depth > _options.MaxDepth) return;
        var typeName = item.TypeName;

        // A resource inside an element (contained, Bundle.entry.resource, Parameters.parameter.resource).
        if (item is Resource inner && !ReferenceEquals(inner, scope.Resource))
        {
            var resourceType = node.Types.Length > 0 ? MatchType(node.Types, item) : null;
            if (node.Types.Length > 0 && resourceType is null)
            {
                _issues.Error(IssueType.Structure, path, $"Type {typeName} is not allowed here (allowed: {string.Join(", ", node.Types.Select(t => t.Code))})");
                return;
            }
            bool contained = node.Name == "contained";
            var containerScope = contained ? scope : null;
            // A profile on the element (a Bundle profile's entry.resource): one of them must be met, as for datatypes.
            var profiles = resourceType?.Profiles ?? [];
            if (profiles.Length > 1)
            {
                var probeScope = new Scope { Resource = inner, Container = containerScope, Terminology = scope.Terminology, BundleIndex = scope.BundleIndex };
                var passing = profiles.FirstOrDefault(p => _gen.GetProfile(p) is { } cp && cp.Type == inner.TypeName && Probe(inner, cp.Root, probeScope));
                profiles = [passing ?? profiles[0]];
            }
            ValidateResource(inner, path, profiles, containerScope, scope.BundleIndex);
            return;
        }

        TypeRef? typeRef = hint;
        if (node.Types.Length > 0)
        {
            typeRef = MatchType(node.Types, item);
            if (typeRef is null)
            {
                _issues.Error(IssueType.Structure, path, $"Type {typeName} is not allowed here (allowed: {string.Join(", ", node.Types.Select(t => t.Code))})");
                return;
            }
        }
        if (node.TypeSlices is not null && node.TypeSlices.TryGetValue(typeName, out var typeSlice)) node = typeSlice;

        _depth++;
        try
        {
            CheckItem(item, node, path, scope, typeRef);
            ValidateChildrenAndProfiles(item, node, path, scope, parent, typeRef);
        }
        finally
        {
            _depth--;
        }
    }

    private void ValidateChildrenAndProfiles(Base item, ElementNode node, string path, Scope scope, Parent parent, TypeRef? typeRef)
    {
        var typeName = item.TypeName;
        bool walkedProfile = false;

        // type.profile: the item must meet the profile (one of them when several are allowed, as Java does).
        if (typeRef is { Profiles.Length: > 0 } && item is not Resource)
        {
            walkedProfile = ValidateTypeProfiles(item, typeRef.Profiles, path, scope, parent);
        }
        else if (item is Extension ext && node.Name is "extension" or "modifierExtension" && node.Definition.Path?.EndsWith("xtension") == true
                 && !IsExtensionDefinitionRoot(node))
        {
            // An extension no slice matched: find its definition by url.
            walkedProfile = ValidateExtensionByUrl(ext, node, path, scope, parent);
        }

        // Snapshots do not copy a datatype's own invariants (ref-1, per-1, qty-3...) onto the elements of that type:
        // run them from the core type definition, unless a type profile (which has them) was walked.
        var coreType = item is Resource || typeName.Length == 0 ? null : _gen.GetCoreType(typeName);
        if (!walkedProfile && coreType is not null && coreType.Root != node && coreType.Root.Invariants.Length > 0)
            CheckInvariants(item, coreType.Root, path, scope);

        var owner = node.HasChildren ? node : node.ContentTarget;
        if (owner is null && walkedProfile) return;
        owner ??= coreType?.Root;
        if (owner is null) return;
        // When the children come from the core datatype ("HumanName"), the parent's definition path is still the
        // element's own ("Patient.name"): extension contexts such as "Patient.name" are stated on the element.
        var definitionPath = owner == coreType?.Root && node.Path.Length > 0 ? node.Path : owner.Path;
        WalkChildren(item, owner, path, scope, definitionPath);
    }

    private static bool IsExtensionDefinitionRoot(ElementNode node) => node.Path == "Extension";

    private void WalkChildren(Base item, ElementNode owner, string path, Scope scope, string definitionPath)
    {
        bool valueIsNotAChild = item is PrimitiveType || item.TypeName == "xhtml";
        Dictionary<string, IReadOnlyList<Base>>? present = null;
        bool anyChild = false;
        foreach (var (name, value) in item.EnumerateElements())
        {
            // A primitive's (and xhtml's) value is checked by CheckItem, it is not a child element.
            if (valueIsNotAChild && name == "value") continue;
            anyChild = true;
            if (!owner.Children.ContainsKey(name))
            {
                _issues.Error(IssueType.Structure, $"{path}.{name}", $"Unknown element '{name}'");
                continue;
            }
            // POCO lists (List<Identifier>...) are IReadOnlyList<Base> by covariance: no copy.
            IReadOnlyList<Base> items = value switch
            {
                Base single => [single],
                IReadOnlyList<Base> list => list,
                System.Collections.IEnumerable many => many.OfType<Base>().ToList(),
                _ => [],
            };
            (present ??= new Dictionary<string, IReadOnlyList<Base>>(StringComparer.Ordinal))[name] = items;
        }
        // ele-1 for complex elements: all FHIR elements must have a value or children.
        if (!anyChild && !valueIsNotAChild && item is not Resource)
            _issues.Error(IssueType.Invalid, path, "All FHIR elements must have a @value or children", "ele-1");

        var parent = new Parent(definitionPath, item.TypeName, item);
        foreach (var def in owner.ChildOrder)
        {
            if (valueIsNotAChild && def.Name == "value") continue;
            IReadOnlyList<Base>? items = null;
            present?.TryGetValue(def.Name, out items);
            int count = items?.Count ?? 0;
            bool requiredSlice = count == 0 && def.Slicing is not null && def.Slicing.Slices.Any(s => s.Min > 0);
            // Most defined elements are absent and optional: nothing to say, no path to build.
            if (count == 0 && def.Min == 0 && !requiredSlice) continue;

            var elementPath = $"{path}.{def.Name}";
            if (count < def.Min)
                _issues.Error(IssueType.Structure, elementPath,
                    $"Element '{def.Path}' requires at least {def.Min} occurrence(s), found {count}");
            if (count > def.Max)
                _issues.Error(IssueType.Structure, elementPath, def.Max == 0
                    ? $"Element '{def.Path}' is not allowed (max 0)"
                    : $"Element '{def.Path}' allows at most {def.Max} occurrence(s), found {count}");
            if (def.Slicing is not null && (count > 0 || requiredSlice))
            {
                // Also with no item at all: a required slice is then missing.
                ProcessSlices((items ?? []).Select((b, i) => (b, i)).ToList(), def, elementPath, scope, parent);
                continue;
            }
            if (items is null) continue;
            for (int i = 0; i < items.Count; i++)
                ValidateNode(items[i], def, ItemPath(elementPath, def, items[i], i), scope, parent, null);
        }
    }

    private static string ItemPath(string elementPath, ElementNode def, Base item, int index) =>
        def.IsChoice ? $"{elementPath}.ofType({item.TypeName})"
        : def.IsList ? $"{elementPath}[{index}]" : elementPath;

    private static TypeRef? MatchType(TypeRef[] types, Base item)
    {
        var typeName = item.TypeName;
        foreach (var t in types)
        {
            if (t.Code == typeName) return t;
            if (item is PrimitiveType && IsPrimitiveSubtype(typeName, t.Code)) return t;
            if (item is PrimitiveType && t.Code.StartsWith("http://hl7.org/fhirpath/System.", StringComparison.Ordinal)) return t;
            if (item is Resource && t.Code is "Resource" or "DomainResource") return t;
            // Element roots of datatype profiles and BackboneElements carry these codes.
            if (t.Code is "Element" or "BackboneElement" && item is not Resource && item is not PrimitiveType) return t;
        }
        return null;
    }

    // The POCO model types Resource.id as "id" where the R4 snapshot says string: accept FHIR's primitive subtypes.
    private static bool IsPrimitiveSubtype(string actual, string expected) => expected switch
    {
        "string" => actual is "id" or "code" or "markdown",
        "uri" => actual is "url" or "canonical" or "oid" or "uuid",
        "integer" => actual is "positiveInt" or "unsignedInt",
        _ => false,
    };

    private bool ValidateTypeProfiles(Base item, string[] profiles, string path, Scope scope, Parent parent)
    {
        var compiled = profiles.Select(p => (Url: p, Profile: _gen.GetProfile(p))).ToList();
        var known = compiled.Where(c => c.Profile is not null).Select(c => c.Profile!).ToList();
        if (known.Count == 0)
        {
            var url = profiles[0];
            var severity = url.StartsWith(_options.OwnCanonicalBase, StringComparison.Ordinal)
                ? OperationOutcome.IssueSeverity.Error : OperationOutcome.IssueSeverity.Warning;
            _issues.Add(severity, IssueType.NotFound, path, null, $"Profile {url} is unknown and was not checked");
            return false;
        }
        var chosen = known.Count == 1 ? known[0] : known.FirstOrDefault(p => Probe(item, p.Root, scope)) ?? known[0];
        if (item is Extension ext && chosen.Type == "Extension") CheckExtensionContext(ext, chosen, path, parent, scope);
        ValidateNode(item, chosen.Root, path, scope, parent, null);
        return true;
    }

    private bool ValidateExtensionByUrl(Extension ext, ElementNode node, string path, Scope scope, Parent parent)
    {
        if (ext.Url is not { Length: > 0 } url) return false; // ext url 1..1 is reported by the structure walk
        // A relative url names a sub-extension of a complex extension: the enclosing extension's definition
        // (walked against its profile) defines it, there is nothing to look up.
        if (!url.Contains(':')) return false;
        if (_gen.GetProfile(url) is { Type: "Extension" } profile)
        {
            CheckExtensionContext(ext, profile, path, parent, scope);
            if (node.Name == "modifierExtension" && profile.Definition.Snapshot?.Element.FirstOrDefault()?.IsModifier != true)
                _issues.Error(IssueType.Structure, path, $"Extension {url} is not a modifier extension and cannot be used in modifierExtension");
            ValidateNode(ext, profile.Root, path, scope, parent, null);
            return true;
        }
        if (node.Name == "modifierExtension")
            _issues.Error(IssueType.Structure, path, $"Unknown modifier extension {url}");
        else
        {
            var severity = url.StartsWith(_options.OwnCanonicalBase, StringComparison.Ordinal)
                ? OperationOutcome.IssueSeverity.Error : _options.UnknownExtensionSeverity;
            _issues.Add(severity, IssueType.Structure, path, null, $"Unknown extension {url}");
        }
        return false;
    }

    /// <summary>
    /// Extension context (R4 StructureDefinition.context: element path or type, extension url, or a FHIRPath
    /// expression selecting the nodes it may sit on), then its contextInvariant rules with the element that carries
    /// the extension as focus. https://hl7.org/fhir/R4/defining-extensions.html#context
    /// </summary>
    private void CheckExtensionContext(Extension ext, CompiledProfile profile, string path, Parent parent, Scope scope)
    {
        var definition = profile.Definition;
        if (parent.Item is null) return;
        if (definition.Context.Count > 0 && !definition.Context.Any(c => ContextAllows(c, parent, scope, path)))
            _issues.Error(IssueType.Structure, path,
                $"Extension {ext.Url} is not allowed here (context: {string.Join(", ", definition.Context.Select(c => c.Expression))})");
        foreach (var rule in definition.ContextInvariant.OfType<string>())
        {
            var (compiled, compileError) = InvariantCache.Get(rule);
            if (compiled is null)
            {
                _issues.Warning(IssueType.Processing, path, $"contextInvariant could not be compiled ({compileError}): {rule}");
                continue;
            }
            try
            {
                if (!compiled.Predicate(FocusOf(parent.Item, scope), scope.Context))
                    _issues.Error(IssueType.Invariant, path, $"Extension {ext.Url}: contextInvariant not met: {rule}");
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _issues.Warning(IssueType.Processing, path, $"contextInvariant could not be evaluated ({ex.Message}): {rule}");
            }
        }
    }

    private bool ContextAllows(StructureDefinition.ContextComponent context, Parent parent, Scope scope, string path)
    {
        var expr = context.Expression ?? "";
        switch (context.Type)
        {
            case StructureDefinition.ExtensionContextType.Extension:
                return parent.Item is Extension pe && pe.Url == expr;
            case StructureDefinition.ExtensionContextType.Fhirpath:
                // The nodes the expression selects, evaluated from the resource, are where the extension may sit.
                var (compiled, compileError) = InvariantCache.Get(expr);
                if (compiled is null)
                {
                    _issues.Warning(IssueType.Processing, path, $"Extension context could not be compiled ({compileError}): {expr}");
                    return true;
                }
                try
                {
                    return compiled.Invoke([scope.ResourceNode], scope.Context).Any(n => ReferenceEquals(n.Poco, parent.Item));
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _issues.Warning(IssueType.Processing, path, $"Extension context could not be evaluated ({ex.Message}): {expr}");
                    return true;
                }
            default:
                return ElementContextMatches(expr, parent);
        }
    }

    private static PocoNode FocusOf(Base item, Scope scope) =>
        ReferenceEquals(item, scope.Resource) ? scope.ResourceNode : item.ToPocoNode();

    private static bool ElementContextMatches(string expr, Parent parent)
    {
        if (expr is "Element" or "Base") return true;
        if (expr == parent.TypeName || expr == parent.DefinitionPath) return true;
        if (parent.Item is Resource && expr is "Resource" or "DomainResource") return true;
        if (parent.Item is BackboneElement && expr == "BackboneElement") return true;
        // A profile path ("Patient.address") or an element of a datatype ("Address.line") given by type.
        var dot = parent.DefinitionPath.IndexOf('.');
        return dot > 0 && expr.EndsWith(parent.DefinitionPath[dot..], StringComparison.Ordinal)
            && expr.StartsWith(parent.DefinitionPath[..dot], StringComparison.Ordinal);
    }

    /// <summary>Validates silently; true when there is no error. Memoised per (item, node) for this run.</summary>
    private bool Probe(Base item, ElementNode node, Scope scope)
    {
        if (_probeMemo.TryGetValue((item, node), out var known)) return known;
        var sink = IssueSink.ForProbe();
        var run = new ValidationRun(_gen, _options, sink, _probeMemo) { _depth = _depth };
        run.ValidateNode(item, node, "", scope, new Parent("", "", null), null);
        bool ok = sink.ErrorCount == 0;
        _probeMemo[(item, node)] = ok;
        return ok;
    }

    private void CheckContainedIds(Resource resource, string path)
    {
        if (resource is not DomainResource { Contained.Count: > 0 } dr) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < dr.Contained.Count; i++)
        {
            var id = dr.Contained[i].Id;
            if (id is null)
                _issues.Error(IssueType.Structure, $"{path}.contained[{i}]", "A contained resource must have an id");
            else if (!seen.Add(id))
                _issues.Error(IssueType.Structure, $"{path}.contained[{i}].id", $"Duplicate contained resource id '{id}'");
        }
    }

    private static Dictionary<string, Resource> BuildBundleIndex(Bundle bundle)
    {
        var index = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var e in bundle.Entry)
        {
            if (e.Resource is not { } r) continue;
            if (e.FullUrl is { } fu) index.TryAdd(fu, r);
            if (r.Id is { } id) index.TryAdd($"{r.TypeName}/{id}", r);
        }
        return index;
    }
}

/// <summary>Reference equality on a pair, for probe memoisation (POCOs override Equals).</summary>
internal sealed class ReferenceEqualityComparer<TA, TB> : IEqualityComparer<(TA, TB)> where TA : class where TB : class
{
    public static readonly ReferenceEqualityComparer<TA, TB> Instance = new();

    public bool Equals((TA, TB) x, (TA, TB) y) => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);

    public int GetHashCode((TA, TB) obj) =>
        HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2));
}
