using System.Collections.Concurrent;
using System.Collections.Frozen;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirCoordGateway.Validation.Terminology;

/// <summary>Outcome of checking one code against a ValueSet.</summary>
internal enum CodeCheck
{
    Valid,
    Invalid,
    /// <summary>The ValueSet or a CodeSystem it needs is not available locally: the code cannot be checked.</summary>
    CannotCheck,
}

/// <summary>An expanded ValueSet as hash sets, for 0.1 µs lookups instead of ~50 µs per ValidateCode call.</summary>
internal sealed class Expansion
{
    public required FrozenSet<(string System, string Code)> Pairs { get; init; }
    public required FrozenSet<string> Codes { get; init; }
}

/// <summary>
/// Terminology of one registry generation: each bound ValueSet is expanded once; ValueSets that cannot be expanded
/// (filters on an absent CodeSystem...) fall back to a memoised <see cref="LocalTerminologyService"/> check.
/// Never calls the network: a CodeSystem that is not loaded means "cannot check", not "invalid".
/// </summary>
internal sealed class TerminologyCache
{
    private readonly RegistryGeneration _generation;
    private readonly ConcurrentDictionary<string, Lazy<Expansion?>> _expansions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string?, string), (CodeCheck, string?)> _memo = new();
    private readonly Lazy<LocalTerminologyService> _service;

    public TerminologyCache(RegistryGeneration generation)
    {
        _generation = generation;
        _service = new Lazy<LocalTerminologyService>(() =>
            new LocalTerminologyService(_generation, new ValueSetExpanderSettings { ValueSetSource = _generation }));
    }

    public LocalTerminologyService Service => _service.Value;

    /// <summary>The cached expansion of a ValueSet, or null when it does not exist or cannot be expanded.</summary>
    public Expansion? GetExpansion(string valueSet) =>
        _expansions.GetOrAdd(valueSet, url => new Lazy<Expansion?>(() => Expand(url))).Value;

    public bool ValueSetExists(string valueSet) => _generation.Resolve("ValueSet", valueSet) is ValueSet;

    /// <summary>Checks a code (system optional) against a ValueSet.</summary>
    public (CodeCheck Result, string? Message) Check(string valueSet, string? system, string code)
    {
        if (GrammarValueSets.Check(valueSet, system, code) is { } grammar) return grammar;
        if (GetExpansion(valueSet) is { } expansion)
        {
            bool found = system is null ? expansion.Codes.Contains(code) : expansion.Pairs.Contains((system, code));
            return (found ? CodeCheck.Valid : CodeCheck.Invalid, null);
        }
        return _memo.GetOrAdd((valueSet, system, code), key => ValidateWithService(key.Item1, key.Item2, key.Item3));
    }

    private (CodeCheck, string?) ValidateWithService(string valueSet, string? system, string code)
    {
        if (!ValueSetExists(valueSet)) return (CodeCheck.CannotCheck, $"ValueSet '{valueSet}' is not known");
        try
        {
            var parameters = new ValidateCodeParameters().WithValueSet(valueSet)
                .WithCode(code: code, system: system, inferSystem: system is null);
            var result = new ValidateCodeResult(Service.ValueSetValidateCode(parameters).GetAwaiter().GetResult());
            return (result.Result?.Value == true ? CodeCheck.Valid : CodeCheck.Invalid, result.Message?.Value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (CodeCheck.CannotCheck, ex.Message);
        }
    }

    private Expansion? Expand(string valueSetUrl)
    {
        if (_generation.Resolve("ValueSet", valueSetUrl) is not ValueSet source) return null;
        try
        {
            var vs = (ValueSet)source.DeepCopy();
            new ValueSetExpander(new ValueSetExpanderSettings { ValueSetSource = _generation, MaxExpansionSize = 5000 })
                .ExpandAsync(vs).GetAwaiter().GetResult();
            var pairs = new HashSet<(string, string)>();
            var codes = new HashSet<string>(StringComparer.Ordinal);
            Collect(vs.Expansion?.Contains, pairs, codes);
            return new Expansion { Pairs = pairs.ToFrozenSet(), Codes = codes.ToFrozenSet() };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // ValueSetUnknownException (a CodeSystem such as urn:ietf:bcp:13 is not loaded), too big, filters...:
            // the ValueSet cannot be expanded locally, codes are then checked one by one.
            return null;
        }
    }

    private static void Collect(List<ValueSet.ContainsComponent>? contains, HashSet<(string, string)> pairs, HashSet<string> codes)
    {
        foreach (var c in contains ?? [])
        {
            if (c.Code is not null && c.Abstract != true && c.Inactive != true)
            {
                codes.Add(c.Code);
                if (c.System is not null) pairs.Add((c.System, c.Code));
            }
            Collect(c.Contains, pairs, codes);
        }
    }
}
