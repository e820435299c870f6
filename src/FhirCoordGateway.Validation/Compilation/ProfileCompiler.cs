using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Compilation;

/// <summary>
/// Compiles a StructureDefinition snapshot into an <see cref="ElementNode"/> tree, once, so that validating an
/// instance never re-reads the snapshot (the Java validator re-reads it per instance; Firely compiles too).
/// </summary>
internal static class ProfileCompiler
{
    private const string BestPracticeExtension = "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice";

    // ele-1 (value or children) and ext-1 (extension or value) run in C#: as FHIRPath on every node they would
    // cost more than parsing the resource (design note §7).
    private static readonly HashSet<string> InvariantsDoneInCode = ["ele-1", "ext-1"];

    public static CompiledProfile Compile(StructureDefinition sd, bool isCore)
    {
        var elements = sd.Snapshot?.Element
            ?? throw new InvalidOperationException($"StructureDefinition {sd.Url} has no snapshot.");
        if (elements.Count == 0) throw new InvalidOperationException($"StructureDefinition {sd.Url} has an empty snapshot.");

        var byId = new Dictionary<string, ElementNode>(StringComparer.Ordinal);
        int i = 0;
        var root = Make(elements[i++], byId);
        BuildChildren(root, elements, ref i, byId);
        LinkContentReferences(root, byId, []);
        return new CompiledProfile
        {
            Url = sd.Url ?? "", Type = sd.Type ?? "", Definition = sd, Root = root, IsCore = isCore, ById = byId,
        };
    }

    private static void BuildChildren(ElementNode parent, List<ElementDefinition> elements, ref int i,
        Dictionary<string, ElementNode> byId)
    {
        var prefix = parent.Path + ".";
        while (i < elements.Count && (elements[i].Path ?? "").StartsWith(prefix, StringComparison.Ordinal))
        {
            var node = Make(elements[i++], byId);
            BuildChildren(node, elements, ref i, byId);
            Attach(parent, node);
        }
    }

    private static void Attach(ElementNode parent, ElementNode node)
    {
        if (node.SliceName is null || !parent.Children.TryGetValue(node.Name, out var intro))
        {
            // An element repeated without slice name would be a broken snapshot: first one wins.
            if (parent.Children.TryAdd(node.Name, node)) parent.ChildOrder.Add(node);
            return;
        }

        int slash = node.SliceName.LastIndexOf('/');
        if (slash > 0)
        {
            // Re-slice "a/b": slicing inside slice "a".
            var owner = FindSlice(intro, node.SliceName[..slash]);
            if (owner is not null)
            {
                owner.Slicing ??= MakeGroup(owner.Definition, owner.Name);
                owner.Slicing.Slices.Add(node);
                return;
            }
        }

        if (intro.IsChoice && IsTypeSlicing(intro.Definition.Slicing) && node.Types.Length == 1)
        {
            intro.TypeSlices ??= new Dictionary<string, ElementNode>(StringComparer.Ordinal);
            intro.TypeSlices[node.Types[0].Code] = node;
            return;
        }

        intro.Slicing ??= MakeGroup(intro.Definition, intro.Name);
        intro.Slicing.Slices.Add(node);
    }

    private static ElementNode? FindSlice(ElementNode intro, string fullName)
    {
        foreach (var s in intro.Slicing?.Slices ?? [])
        {
            if (s.SliceName == fullName) return s;
            if (s.Slicing is not null && FindSlice(s, fullName) is { } nested) return nested;
        }
        return null;
    }

    private static bool IsTypeSlicing(ElementDefinition.SlicingComponent? slicing) =>
        slicing?.Discriminator is [{ Type: ElementDefinition.DiscriminatorType.Type, Path: "$this" }];

    private static SliceGroup MakeGroup(ElementDefinition def, string name)
    {
        var slicing = def.Slicing;
        var discriminators = slicing?.Discriminator
            .Where(d => d.Type is not null && d.Path is not null)
            .Select(d => new Discriminator(d.Type switch
            {
                ElementDefinition.DiscriminatorType.Pattern => DiscriminatorKind.Pattern,
                ElementDefinition.DiscriminatorType.Exists => DiscriminatorKind.Exists,
                ElementDefinition.DiscriminatorType.Type => DiscriminatorKind.Type,
                ElementDefinition.DiscriminatorType.Profile => DiscriminatorKind.Profile,
                _ => DiscriminatorKind.Value,
            }, d.Path!))
            .ToArray() ?? [];
        // Extensions are always sliced by url, even when a snapshot forgot to say so.
        if (discriminators.Length == 0 && name is "extension" or "modifierExtension")
            discriminators = [new Discriminator(DiscriminatorKind.Value, "url")];
        return new SliceGroup
        {
            Discriminators = discriminators,
            Rules = slicing?.Rules ?? ElementDefinition.SlicingRules.Open,
            Ordered = slicing?.Ordered ?? false,
        };
    }

    private static void LinkContentReferences(ElementNode node, Dictionary<string, ElementNode> byId, HashSet<ElementNode> seen)
    {
        if (!seen.Add(node)) return;
        if (node.ContentReference is { } cr && byId.TryGetValue(cr.TrimStart('#'), out var target))
            node.ContentTarget = target;
        foreach (var c in node.ChildOrder) LinkContentReferences(c, byId, seen);
        foreach (var s in node.Slicing?.Slices ?? []) LinkContentReferences(s, byId, seen);
        foreach (var s in node.TypeSlices?.Values ?? (IEnumerable<ElementNode>)[]) LinkContentReferences(s, byId, seen);
    }

    private static ElementNode Make(ElementDefinition def, Dictionary<string, ElementNode> byId)
    {
        var path = def.Path ?? "";
        var last = path[(path.LastIndexOf('.') + 1)..];
        bool isChoice = last.EndsWith("[x]", StringComparison.Ordinal);
        var node = new ElementNode
        {
            Definition = def,
            Path = path,
            Name = isChoice ? last[..^3] : last,
            SliceName = def.SliceName,
            IsChoice = isChoice,
            Min = def.Min ?? 0,
            Max = ParseMax(def.Max),
            IsList = def.Base?.Max is { } baseMax ? baseMax != "1" && baseMax != "0" : ParseMax(def.Max) > 1,
            Types = def.Type.Where(t => t.Code is not null)
                .Select(t => new TypeRef(TypeCode(t), t.Profile.OfType<string>().ToArray(), t.TargetProfile.OfType<string>().ToArray())).ToArray(),
            Invariants = def.Constraint
                .Where(c => !string.IsNullOrEmpty(c.Expression) && c.Key is not null && !InvariantsDoneInCode.Contains(c.Key))
                .Select(c => new Invariant(c.Key!, IsError(c), c.Human ?? "", ConstraintCorrections.Correct(c.Key!, c.Expression!))
                    { BuiltIn = BuiltInInvariants.Find(c.Key!, c.Expression!) })
                .ToArray(),
            Fixed = def.Fixed,
            Pattern = def.Pattern,
            MaxLength = def.MaxLength,
            Binding = def.Binding is { ValueSet: not null, Strength: not null } b ? b : null,
            ContentReference = def.ContentReference,
        };
        if (def.ElementId is { } id) byId.TryAdd(id, node);
        return node;
    }

    private const string FhirTypeExtension = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

    /// <summary>
    /// id, Extension.url and primitive values are typed "http://hl7.org/fhirpath/System.String" in R4 snapshots; the
    /// fhir-type extension names the FHIR type the POCO uses ("id", "uri").
    /// </summary>
    private static string TypeCode(ElementDefinition.TypeRefComponent t)
    {
        var code = t.Code!;
        if (!code.StartsWith("http://hl7.org/fhirpath/System.", StringComparison.Ordinal)) return code;
        return t.GetExtensionValue<DataType>(FhirTypeExtension) switch
        {
            FhirUrl u when u.Value is not null => u.Value,
            FhirUri u when u.Value is not null => u.Value,
            _ => code,
        };
    }

    private static bool IsError(ElementDefinition.ConstraintComponent c) =>
        c.Severity == ConstraintSeverity.Error
        && !c.Extension.Any(e => e.Url == BestPracticeExtension && e.Value is FhirBoolean { Value: true });

    private static int ParseMax(string? max) =>
        max is null or "*" ? int.MaxValue : int.TryParse(max, out var n) ? n : int.MaxValue;
}
