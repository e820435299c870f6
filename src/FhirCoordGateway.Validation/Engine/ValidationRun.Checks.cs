using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using IssueSeverity = Hl7.Fhir.Model.OperationOutcome.IssueSeverity;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>Checks on one item: value, fixed/pattern, maxLength, binding, invariants, ext-1, references.</summary>
internal sealed partial class ValidationRun
{
    private void CheckItem(Base item, ElementNode node, string path, Scope scope, TypeRef? typeRef)
    {
        if (item is PrimitiveType primitive)
        {
            var value = primitive.JsonValue;
            if (value is null)
            {
                if (!primitive.HasExtensions() && primitive.ElementId is null)
                    _issues.Error(IssueType.Invalid, path, "All FHIR elements must have a @value or children", "ele-1");
            }
            else
            {
                if (PrimitiveFormats.Check(primitive.TypeName, value) is { } formatError)
                    _issues.Error(IssueType.Invalid, path, formatError);
                if (node.MaxLength is { } max && value is string s && s.Length > max)
                    _issues.Error(IssueType.Invalid, path, $"Value is {s.Length} characters long, more than maxLength {max}");
            }
        }

        if (node.Fixed is { } fixedValue && !FixedMatches(item, fixedValue))
            _issues.Error(IssueType.Value, path, $"Value must be exactly {Show(fixedValue)}");
        if (node.Pattern is { } pattern && !PatternMatches(item, pattern))
            _issues.Error(IssueType.Value, path, $"Value must match the pattern {Show(pattern)}");
        if (node.Binding is { } binding) CheckBinding(item, binding, path);
        if (item is Extension ext && ext.Extension.Count > 0 == ext.Value is not null)
            _issues.Error(IssueType.Invariant, path, "Must have either extensions or value[x], not both", "ext-1");
        if (item is ResourceReference reference) CheckReference(reference, node, path, scope);
        if (node.Invariants.Length > 0) CheckInvariants(item, node, path, scope);
        // contentReference: the target's invariants apply too (Firely #399 lost them).
        if (node.ContentTarget is { Invariants.Length: > 0 } target) CheckInvariants(item, target, path, scope);
    }

    private static bool FixedMatches(Base item, DataType expected) =>
        item is PrimitiveType p && expected is PrimitiveType e
            ? string.Equals(p.ToString(), e.ToString(), StringComparison.Ordinal)
            : item.IsExactly(expected);

    private static bool PatternMatches(Base item, DataType pattern) =>
        item is PrimitiveType p && pattern is PrimitiveType e
            ? string.Equals(p.ToString(), e.ToString(), StringComparison.Ordinal)
            : item.Matches(pattern);

    private static string Show(DataType value) => value switch
    {
        PrimitiveType p => $"'{p}'",
        Coding c => $"{c.System}#{c.Code}",
        CodeableConcept cc => string.Join(", ", cc.Coding.Select(c => $"{c.System}#{c.Code}")),
        Identifier id => $"{id.System}|{id.Value}",
        _ => value.TypeName,
    };

    private void CheckInvariants(Base item, ElementNode node, string path, Scope scope)
    {
        if (!_options.EvaluateInvariants) return;
        PocoNode? focus = null;
        foreach (var inv in node.Invariants)
        {
            // dom-6 (narrative, best practice) does not apply to contained resources: the container's narrative
            // describes them (as HL7's Java validator does).
            if (inv.Key == "dom-6" && !ReferenceEquals(scope.Resource, scope.RootResource)) continue;
            if (inv.BuiltIn?.Invoke(item, scope.Resource, scope.RootResource) is { } decided)
            {
                if (!decided)
                    _issues.Add(inv.IsError ? IssueSeverity.Error : IssueSeverity.Warning, IssueType.Invariant, path, inv.Key, inv.Human);
                continue;
            }
            var (compiled, compileError) = InvariantCache.Get(inv.Expression);
            if (compiled is null)
            {
                _issues.Warning(IssueType.Processing, path, $"could not be compiled ({compileError}): {inv.Expression}", inv.Key);
                continue;
            }
            focus ??= ReferenceEquals(item, scope.Resource) ? scope.ResourceNode : item.ToPocoNode();
            bool ok;
            long started = _options.InvariantTimings is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                ok = compiled.Predicate(focus, scope.Context);
                if (_options.InvariantTimings is { } timings)
                {
                    long elapsed = System.Diagnostics.Stopwatch.GetTimestamp() - started;
                    timings.AddOrUpdate(inv.Key, (elapsed, 1), (_, t) => (t.Ticks + elapsed, t.Count + 1));
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _issues.Warning(IssueType.Processing, path, $"could not be evaluated ({ex.Message}): {inv.Expression}", inv.Key);
                continue;
            }
            if (!ok)
                _issues.Add(inv.IsError ? IssueSeverity.Error : IssueSeverity.Warning, IssueType.Invariant, path, inv.Key, inv.Human);
        }
    }

    private void CheckBinding(Base item, ElementDefinition.ElementDefinitionBindingComponent binding, string path)
    {
        var strength = binding.Strength;
        if (strength is not (BindingStrength.Required or BindingStrength.Extensible)) return;
        var codes = CodesOf(item);
        if (codes.Count == 0) return;
        var valueSet = binding.ValueSet!;

        bool cannotCheck = false;
        string? why = null;
        foreach (var (system, code) in codes)
        {
            var (result, message) = _gen.Terminology.Check(valueSet, system, code);
            if (result == CodeCheck.Valid) return;
            if (result == CodeCheck.CannotCheck) { cannotCheck = true; why ??= message; }
        }

        var shown = string.Join(", ", codes.Select(c => c.System is null ? c.Code : $"{c.System}#{c.Code}"));
        if (cannotCheck)
        {
            var severity = strength == BindingStrength.Required ? IssueSeverity.Warning : IssueSeverity.Information;
            _issues.Add(severity, IssueType.NotSupported, path, null, $"Code {shown} could not be checked against {valueSet}: {why}");
            return;
        }
        var text = $"Code {shown} is not in the value set {valueSet} ({(strength == BindingStrength.Required ? "required" : "extensible")} binding)";
        if (strength == BindingStrength.Required) _issues.Error(IssueType.CodeInvalid, path, text);
        else _issues.Warning(IssueType.CodeInvalid, path, text);
    }

    private static List<(string? System, string Code)> CodesOf(Base item)
    {
        var list = new List<(string?, string)>();
        switch (item)
        {
            case Coding c when c.Code is not null:
                list.Add((c.System, c.Code));
                break;
            case CodeableConcept cc:
                list.AddRange(cc.Coding.Where(c => c.Code is not null).Select(c => (c.System, c.Code!)));
                break;
            case Quantity q when q.Code is not null:
                list.Add((q.System, q.Code));
                break;
            case PrimitiveType p when p.TypeName is "code" or "string" or "uri" && p.JsonValue is string s:
                list.Add((null, s));
                break;
        }
        return list;
    }

    private void CheckReference(ResourceReference reference, ElementNode node, string path, Scope scope)
    {
        var literal = reference.Reference;
        if (string.IsNullOrEmpty(literal)) return;
        var targets = node.Types.Where(t => t.Code == "Reference").SelectMany(t => t.TargetProfiles).ToArray();

        var target = ResolveReference(literal, scope);
        var targetType = target?.TypeName ?? TypeFromLiteral(literal);
        if (targets.Length == 0 || targetType is null) return;

        var allowedTypes = targets.Select(TypeOfProfile).ToList();
        if (allowedTypes.Contains("Resource") || allowedTypes.Contains(null)) return;
        if (!allowedTypes.Contains(targetType))
        {
            _issues.Error(IssueType.Structure, path,
                $"Reference to {targetType} is not allowed here (allowed: {string.Join(", ", allowedTypes.Distinct())})");
            return;
        }

        // targetProfile conformance is checked only where we hold the target (contained or in the Bundle);
        // one matching profile is enough (SDK #2161 demanded all).
        if (target is null) return;
        var candidates = targets.Where(t => !t.StartsWith(CoreSdBase, StringComparison.Ordinal))
            .Select(t => _gen.GetProfile(t)).Where(p => p is not null && p.Type == targetType).ToList();
        if (candidates.Count == 0 || targets.Any(t => t == CoreSdBase + targetType)) return;
        var targetScope = new Scope
        {
            Resource = target,
            Container = target is DomainResource && literal.StartsWith('#') ? scope : null,
            Terminology = scope.Terminology,
            BundleIndex = scope.BundleIndex,
        };
        if (!candidates.Any(p => Probe(target, p!.Root, targetScope)))
            _issues.Error(IssueType.Structure, path,
                $"Referenced {targetType} does not conform to {string.Join(" or ", candidates.Select(p => p!.Url))}");
    }

    private string? TypeOfProfile(string canonical)
    {
        if (canonical.StartsWith(CoreSdBase, StringComparison.Ordinal) && !canonical[CoreSdBase.Length..].Contains('/'))
            return canonical[CoreSdBase.Length..].Split('|')[0];
        return (_gen.Resolve(canonical) as StructureDefinition)?.Type;
    }

    private static Resource? ResolveReference(string literal, Scope scope)
    {
        if (literal.StartsWith('#'))
            return scope.RootResource is DomainResource dr ? dr.Contained.FirstOrDefault(c => c.Id == literal[1..]) : null;
        if (scope.BundleIndex is null) return null;
        if (scope.BundleIndex.TryGetValue(literal, out var r)) return r;
        var relative = TypeFromLiteral(literal) is { } t ? RelativePart(literal, t) : null;
        return relative is not null && scope.BundleIndex.TryGetValue(relative, out r) ? r : null;
    }

    private static string? RelativePart(string literal, string type)
    {
        var parts = literal.Split('/');
        int i = Array.LastIndexOf(parts, type);
        return i >= 0 && i + 1 < parts.Length ? $"{type}/{parts[i + 1]}" : null;
    }

    /// <summary>The resource type of a literal reference: "Patient/1", ".../fhir/Patient/1/_history/2".</summary>
    private static string? TypeFromLiteral(string literal)
    {
        if (literal.StartsWith('#') || literal.StartsWith("urn:", StringComparison.Ordinal)) return null;
        var path = literal.Split('?')[0].Split('/');
        for (int i = path.Length - 2; i >= 0; i--)
            if (ModelInfo.IsKnownResource(path[i]) && path[i + 1].Length > 0 && path[i + 1] != "_history") return path[i];
        return null;
    }
}
