using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Terminology;

namespace FhirCoordGateway.Validation.Terminology;

/// <summary>Result of <see cref="TerminologyOperations.ValidateCode"/>: true/false, or null when it cannot be checked.</summary>
public sealed record CodeValidation(bool? Result, string? Message)
{
    /// <summary>The $validate-code output Parameters (result, message).</summary>
    public Parameters ToParameters()
    {
        var p = new Parameters();
        if (Result is { } r) p.Add("result", new FhirBoolean(r));
        else p.Add("result", new FhirBoolean(false));
        if (Message is not null) p.Add("message", new FhirString(Message));
        return p;
    }
}

/// <summary>
/// ValueSet <c>$expand</c> and <c>$validate-code</c> over the local and core terminology of the current registry
/// generation (https://hl7.org/fhir/R4/valueset-operation-expand.html, -validate-code.html). Never calls the network.
/// </summary>
public sealed class TerminologyOperations(ProfileRegistry registry)
{
    /// <summary>Expands a ValueSet by canonical url; null when the ValueSet is unknown.</summary>
    /// <exception cref="InvalidOperationException">The ValueSet cannot be expanded locally (unknown CodeSystem, too big).</exception>
    public ValueSet? Expand(string valueSetUrl)
    {
        var generation = registry.Current;
        if (generation.Resolve("ValueSet", valueSetUrl) is not ValueSet source) return null;
        var vs = (ValueSet)source.DeepCopy();
        try
        {
            new ValueSetExpander(new ValueSetExpanderSettings { ValueSetSource = generation, MaxExpansionSize = 10000 })
                .ExpandAsync(vs).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not InvalidOperationException)
        {
            throw new InvalidOperationException($"ValueSet {valueSetUrl} cannot be expanded: {ex.Message}", ex);
        }
        return vs;
    }

    /// <summary>Checks a code (system optional) against a ValueSet; Result is null when it cannot be checked locally.</summary>
    public CodeValidation ValidateCode(string valueSetUrl, string? system, string code)
    {
        var (result, message) = registry.Current.Terminology.Check(valueSetUrl, system, code);
        return result switch
        {
            CodeCheck.Valid => new CodeValidation(true, message),
            CodeCheck.Invalid => new CodeValidation(false, message ?? $"Code {(system is null ? code : system + "#" + code)} is not in {valueSetUrl}"),
            _ => new CodeValidation(null, message),
        };
    }

    /// <summary>Checks a code directly against a CodeSystem (CodeSystem/$validate-code).</summary>
    public CodeValidation ValidateCodeInCodeSystem(string codeSystemUrl, string code)
    {
        if (registry.Current.Resolve("CodeSystem", codeSystemUrl) is not CodeSystem cs)
            return new CodeValidation(null, $"CodeSystem {codeSystemUrl} is not known");
        if (cs.Content is CodeSystemContentMode.NotPresent or CodeSystemContentMode.Example)
            return new CodeValidation(null, $"CodeSystem {codeSystemUrl} does not list its concepts");
        return Find(cs.Concept, code)
            ? new CodeValidation(true, null)
            : new CodeValidation(false, $"Code {code} is not in CodeSystem {codeSystemUrl}");
    }

    private static bool Find(List<CodeSystem.ConceptDefinitionComponent> concepts, string code) =>
        concepts.Any(c => c.Code == code || Find(c.Concept, code));
}
