using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// <c>:in</c>/<c>:not-in</c> expand ValueSets with the validator's terminology, so search sees exactly the ValueSets
/// validation sees: core, <c>profiles/</c>, and those written through the API.
/// </summary>
public sealed class RegistryValueSets(TerminologyOperations terminology) : ILocalValueSets
{
    public IReadOnlyList<TokenValue>? Expand(string url)
    {
        try
        {
            return terminology.Expand(url) is { } expanded
                ? Flatten(expanded.Expansion?.Contains ?? []).Select(c => new TokenValue(c.System, c.Code, false)).ToList()
                : null;
        }
        catch (InvalidOperationException)
        {
            return null; // cannot be expanded locally: reported as an unknown ValueSet
        }
    }

    private static IEnumerable<ValueSet.ContainsComponent> Flatten(IEnumerable<ValueSet.ContainsComponent> contains) =>
        contains.SelectMany(c => new[] { c }.Concat(Flatten(c.Contains)));
}
