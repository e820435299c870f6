using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// The search parameters the server indexes and answers, per resource type. For now: <c>_id</c> (every type)
/// and <c>identifier</c> where R4 defines it (from the SDK's model info).
/// </summary>
public sealed class SearchParameterCatalog
{
    private static readonly FrozenSet<string> IndexedCodes = FrozenSet.ToFrozenSet(["identifier"]);

    private readonly FrozenDictionary<(string Type, string Code), SearchParamDefinition> _byTypeAndCode;

    public SearchParameterCatalog()
    {
        _byTypeAndCode = ModelInfo.SearchParameters
            .Where(p => p.Resource is not null && IndexedCodes.Contains(p.Code!) && p.Expression is not null)
            .GroupBy(p => (p.Resource!, p.Code!))
            .ToFrozenDictionary(g => g.Key, g => g.First());
    }

    public SearchParamDefinition? Find(string resourceType, string code) =>
        _byTypeAndCode.GetValueOrDefault((resourceType, code));

    /// <summary>The indexed parameters of one resource type.</summary>
    public IEnumerable<SearchParamDefinition> For(string resourceType) =>
        _byTypeAndCode.Where(kv => kv.Key.Type == resourceType).Select(kv => kv.Value);
}
