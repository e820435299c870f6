using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>
/// Slicing (https://hl7.org/fhir/R4/profiling.html#slicing): assign each item to the slice its discriminators
/// select, check closed/openAtEnd/ordered rules and slice cardinalities, then validate each item against its slice
/// (or the slicing intro when unmatched). Re-slices are slicing inside a slice and recurse on its bucket.
/// </summary>
internal sealed partial class ValidationRun
{
    private void ProcessSlices(List<(Base Item, int Index)> items, ElementNode intro, string elementPath, Scope scope, Parent parent)
    {
        var group = intro.Slicing!;
        var buckets = group.Slices.ToDictionary(s => s, _ => new List<(Base, int)>());
        int lastSlice = -1;
        bool seenUnmatched = false;

        foreach (var (item, index) in items)
        {
            var itemPath = ItemPath(elementPath, intro, item, index);
            ElementNode? match = null;
            int matchIndex = -1;
            for (int s = 0; s < group.Slices.Count; s++)
            {
                if (!SliceMatches(item, group.Slices[s], group, scope)) continue;
                if (match is null) { match = group.Slices[s]; matchIndex = s; }
                else
                {
                    _issues.Error(IssueType.Invalid, itemPath,
                        $"Item matches more than one slice ({match.SliceName}, {group.Slices[s].SliceName})");
                    break;
                }
            }

            if (match is null)
            {
                seenUnmatched = true;
                if (group.Rules == ElementDefinition.SlicingRules.Closed)
                    _issues.Error(IssueType.Invalid, itemPath, $"Item does not match any slice of the closed slicing of {intro.Path}");
                ValidateNode(item, intro, itemPath, scope, parent, null);
                continue;
            }
            if (group.Ordered && matchIndex < lastSlice)
                _issues.Error(IssueType.Invalid, itemPath, $"Slice {match.SliceName} is out of order (slicing of {intro.Path} is ordered)");
            if (group.Rules == ElementDefinition.SlicingRules.OpenAtEnd && seenUnmatched)
                _issues.Error(IssueType.Invalid, itemPath, $"Slice {match.SliceName} comes after an unmatched item (slicing of {intro.Path} is openAtEnd)");
            lastSlice = Math.Max(lastSlice, matchIndex);
            buckets[match].Add((item, index));
        }

        foreach (var slice in group.Slices)
        {
            var bucket = buckets[slice];
            if (bucket.Count < slice.Min)
                _issues.Error(IssueType.Structure, elementPath,
                    $"Slice '{slice.SliceName}' of {intro.Path} requires at least {slice.Min} occurrence(s), found {bucket.Count}");
            if (bucket.Count > slice.Max)
                _issues.Error(IssueType.Structure, elementPath,
                    $"Slice '{slice.SliceName}' of {intro.Path} allows at most {slice.Max} occurrence(s), found {bucket.Count}");
            if (slice.Slicing is not null && bucket.Count > 0)
            {
                ProcessSlices(bucket, slice, elementPath, scope, parent);
                continue;
            }
            foreach (var (item, index) in bucket)
                ValidateNode(item, slice, ItemPath(elementPath, intro, item, index), scope, parent, null);
        }
    }

    private bool SliceMatches(Base item, ElementNode slice, SliceGroup group, Scope scope)
    {
        // No discriminator: the slice is whatever validates against it (Java never matches here: core #195).
        if (group.Discriminators.Length == 0) return Probe(item, slice, scope);
        foreach (var d in group.Discriminators)
            if (!DiscriminatorMatches(item, slice, d, scope)) return false;
        return true;
    }

    private bool DiscriminatorMatches(Base item, ElementNode slice, Discriminator d, Scope scope)
    {
        var tokens = d.Tokens;
        var values = Navigate(item, tokens, scope);
        switch (d.Kind)
        {
            case DiscriminatorKind.Value:
            case DiscriminatorKind.Pattern:
            {
                var (fixedValue, pattern, binding) = slice.Expectations.GetOrAdd(d.Path, _ => Expectation(slice, tokens));
                if (fixedValue is not null) return values.Any(v => FixedMatches(v, fixedValue));
                if (pattern is not null) return values.Any(v => PatternMatches(v, pattern));
                if (binding is { Strength: BindingStrength.Required, ValueSet: { } vs })
                    return values.Any(v => CodesOf(v).Any(c => _gen.Terminology.Check(vs, c.System, c.Code).Result == CodeCheck.Valid));
                return false; // nothing distinguishes this slice on this path
            }
            case DiscriminatorKind.Exists:
            {
                var node = FindNode(slice, tokens);
                if (node is null) return true;
                if (node.Min >= 1) return values.Count > 0;
                if (node.Max == 0) return values.Count == 0;
                return true;
            }
            case DiscriminatorKind.Type:
            {
                var node = FindNode(slice, tokens);
                if (node is null || node.Types.Length == 0) return true;
                return values.Any(v => MatchType(node.Types, v) is not null);
            }
            case DiscriminatorKind.Profile:
            {
                var node = FindNode(slice, tokens);
                var profiles = node?.Types.SelectMany(t => tokens.LastOrDefault() == "resolve()" ? t.TargetProfiles : t.Profiles)
                    .Select(p => _gen.GetProfile(p)).Where(p => p is not null).ToList() ?? [];
                if (profiles.Count == 0) return false;
                return values.Any(v => profiles.Any(p => v.TypeName == p!.Type || p!.Type is "Resource" ? Probe(v, p!.Root, scope) : false));
            }
        }
        return false;
    }

    /// <summary>Evaluates a discriminator path (names, $this, extension('url'), ofType(T), resolve()) on an item.</summary>
    private List<Base> Navigate(Base item, IReadOnlyList<string> tokens, Scope? scope)
    {
        var current = new List<Base> { item };
        foreach (var token in tokens)
        {
            var next = new List<Base>();
            foreach (var b in current)
            {
                if (token == "$this") next.Add(b);
                else if (PathTokens.ExtensionUrl(token) is { } url)
                    next.AddRange(ChildrenNamed(b, "extension").OfType<Extension>().Where(e => e.Url == url));
                else if (PathTokens.OfType(token) is { } type)
                {
                    if (b.TypeName == type) next.Add(b);
                }
                else if (token == "resolve()")
                {
                    if (scope is not null && b is ResourceReference { Reference: { } r } && ResolveReference(r, scope) is { } target) next.Add(target);
                }
                else next.AddRange(ChildrenNamed(b, token));
            }
            current = next;
        }
        return current;
    }

    private static IEnumerable<Base> ChildrenNamed(Base b, string name)
    {
        if (!b.TryGetValue(name, out var value)) return [];
        return value switch
        {
            Base single => [single],
            System.Collections.IEnumerable many => many.OfType<Base>(),
            _ => [],
        };
    }

    /// <summary>
    /// The fixed value, pattern or binding a slice sets at a discriminator path. Follows in-place children, then the
    /// type's profile (an extension's url is fixed in the extension definition, Firely #654), then the core type;
    /// a pattern on an ancestor is projected down the path (Firely #336).
    /// </summary>
    private SliceExpectation Expectation(ElementNode slice, IReadOnlyList<string> tokens)
    {
        ElementNode? node = slice;
        (DataType Value, bool IsFixed, int At)? ancestor = null;
        for (int i = 0; i < tokens.Count && node is not null; i++)
        {
            if (node.Fixed is { } f) ancestor = (f, true, i);
            else if (node.Pattern is { } p) ancestor = (p, false, i);
            node = Step(node, tokens[i]);
        }
        if (node is not null)
        {
            if (node.Fixed is not null || node.Pattern is not null || node.Binding is not null)
                return new SliceExpectation(node.Fixed, node.Pattern, node.Binding);
        }
        if (ancestor is { } a)
        {
            var projected = Navigate(a.Value, tokens.Skip(a.At).ToList(), null).OfType<DataType>().FirstOrDefault();
            if (projected is not null) return a.IsFixed ? new SliceExpectation(projected, null, null) : new SliceExpectation(null, projected, null);
        }
        return new SliceExpectation(null, null, null);
    }

    private ElementNode? FindNode(ElementNode slice, IReadOnlyList<string> tokens)
    {
        ElementNode? node = slice;
        foreach (var t in tokens)
        {
            if (node is null) return null;
            node = Step(node, t);
        }
        return node;
    }

    private ElementNode? Step(ElementNode node, string token)
    {
        if (token == "$this")
        {
            // A slice with a profile and no in-place constraints: its root carries the fixed values.
            return node;
        }
        if (PathTokens.OfType(token) is { } type)
            return node.TypeSlices is not null && node.TypeSlices.TryGetValue(type, out var ts) ? ts : node;
        if (token == "resolve()")
        {
            var target = node.Types.SelectMany(t => t.TargetProfiles).Select(p => _gen.GetProfile(p)).FirstOrDefault(p => p is not null);
            return target?.Root;
        }
        if (PathTokens.ExtensionUrl(token) is { } url)
        {
            var intro = Child(node, "extension");
            var slice = intro?.Slicing?.Slices.FirstOrDefault(s => s.Types.Any(t => t.Profiles.Contains(url)));
            return slice ?? _gen.GetProfile(url)?.Root;
        }
        return Child(node, token);
    }

    /// <summary>A named child: in place, else in the type's profile, else in the core type.</summary>
    private ElementNode? Child(ElementNode node, string name)
    {
        if (node.Children.TryGetValue(name, out var child)) return child;
        if (node.ContentTarget?.Children.TryGetValue(name, out child) == true) return child;
        foreach (var t in node.Types)
        {
            foreach (var p in t.Profiles)
                if (_gen.GetProfile(p)?.Root.Children.TryGetValue(name, out child) == true) return child;
            if (_gen.GetCoreType(t.Code)?.Root.Children.TryGetValue(name, out child) == true) return child;
        }
        return null;
    }
}

/// <summary>Tokenizer for discriminator paths: "extension('http://x/y.z').value", "value.ofType(Coding).code".</summary>
internal static class PathTokens
{
    public static List<string> Parse(string path)
    {
        var tokens = new List<string>();
        int start = 0;
        bool inQuote = false;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '\'') inQuote = !inQuote;
            else if (c == '.' && !inQuote)
            {
                tokens.Add(path[start..i]);
                start = i + 1;
            }
        }
        tokens.Add(path[start..]);
        return tokens.Where(t => t.Length > 0).ToList();
    }

    public static string? ExtensionUrl(string token) =>
        token.StartsWith("extension('", StringComparison.Ordinal) && token.EndsWith("')", StringComparison.Ordinal)
            ? token["extension('".Length..^2] : null;

    public static string? OfType(string token) =>
        token.StartsWith("ofType(", StringComparison.Ordinal) && token.EndsWith(')') ? token["ofType(".Length..^1] : null;
}
