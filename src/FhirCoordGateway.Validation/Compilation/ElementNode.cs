using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Compilation;

/// <summary>One allowed type of an element: its code and the profiles it must (or may) conform to.</summary>
internal sealed record TypeRef(string Code, string[] Profiles, string[] TargetProfiles);

/// <summary>A compiled FHIRPath invariant of an element (key, severity, human text, expression).</summary>
internal sealed record Invariant(string Key, bool IsError, string Human, string Expression)
{
    /// <summary>A C# implementation of this (core) invariant, when there is one.</summary>
    public BuiltInInvariants.Check? BuiltIn { get; init; }
}

/// <summary>
/// One element of a compiled snapshot. Immutable once the profile is compiled and shared by all threads.
/// Children are the in-place children of the snapshot; when there are none, the walk uses the type's own profile.
/// </summary>
internal sealed class ElementNode
{
    public required ElementDefinition Definition { get; init; }
    public required string Path { get; init; }
    /// <summary>Element name as it appears in an instance: "identifier", "value" for "value[x]".</summary>
    public required string Name { get; init; }
    public string? SliceName { get; init; }
    public bool IsChoice { get; init; }
    public int Min { get; init; }
    public int Max { get; init; }
    /// <summary>True when the base definition repeats: instance paths then carry an index.</summary>
    public bool IsList { get; init; }
    public TypeRef[] Types { get; init; } = [];
    public Invariant[] Invariants { get; init; } = [];
    public DataType? Fixed { get; init; }
    public DataType? Pattern { get; init; }
    public int? MaxLength { get; init; }
    public ElementDefinition.ElementDefinitionBindingComponent? Binding { get; init; }
    public string? ContentReference { get; init; }

    public Dictionary<string, ElementNode> Children { get; } = new(StringComparer.Ordinal);
    public List<ElementNode> ChildOrder { get; } = [];
    public SliceGroup? Slicing { get; set; }
    /// <summary>R4 type slices of a choice (<c>value[x]:valueQuantity</c>), by type code.</summary>
    public Dictionary<string, ElementNode>? TypeSlices { get; set; }
    /// <summary>Target of <see cref="ContentReference"/>, linked after the tree is built.</summary>
    public ElementNode? ContentTarget { get; set; }

    public bool HasChildren => ChildOrder.Count > 0;

    /// <summary>
    /// What this slice fixes at each discriminator path, computed on first use. Safe to cache on the node: a
    /// local profile is recompiled in every registry generation, and core profiles only refer to core.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, SliceExpectation> Expectations { get; } = new(StringComparer.Ordinal);

    public override string ToString() => SliceName is null ? Path : $"{Path}:{SliceName}";
}

/// <summary>The fixed value, pattern or binding a slice sets at a discriminator path (all null: nothing).</summary>
internal sealed record SliceExpectation(DataType? Fixed, DataType? Pattern, ElementDefinition.ElementDefinitionBindingComponent? Binding);

internal enum DiscriminatorKind { Value, Pattern, Exists, Type, Profile }

internal sealed record Discriminator(DiscriminatorKind Kind, string Path)
{
    /// <summary>The path split once: "extension('http://x/y.z')", "value", "ofType(Coding)".</summary>
    public IReadOnlyList<string> Tokens { get; } = Engine.PathTokens.Parse(Path);
}

/// <summary>The slicing of one element: discriminators, rules and its slices in declaration order.</summary>
internal sealed class SliceGroup
{
    public required Discriminator[] Discriminators { get; init; }
    public ElementDefinition.SlicingRules Rules { get; init; }
    public bool Ordered { get; init; }
    public List<ElementNode> Slices { get; } = [];
}
