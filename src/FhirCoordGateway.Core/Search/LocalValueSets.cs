using System.Collections.Frozen;
using FhirCoordGateway.Core.Search.Parameters;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// ValueSets of profiles/ expanded locally for <c>:in</c>/<c>:not-in</c>: explicit concepts of
/// <c>compose.include</c>, or every concept of an included local CodeSystem. Filters and value-set imports are not
/// expanded (such a ValueSet is reported as unknown).
/// </summary>
public sealed class LocalValueSets : ILocalValueSets
{
    private readonly FrozenDictionary<string, IReadOnlyList<TokenValue>> _expansions;

    public LocalValueSets(IEnumerable<ValueSet> valueSets, IEnumerable<CodeSystem> codeSystems)
    {
        var systems = codeSystems.Where(c => c.Url is not null).GroupBy(c => c.Url!).ToDictionary(g => g.Key, g => g.First());
        var expansions = new Dictionary<string, IReadOnlyList<TokenValue>>(StringComparer.Ordinal);
        foreach (var vs in valueSets.Where(v => v.Url is not null))
        {
            var codes = new List<TokenValue>();
            var complete = true;
            foreach (var include in vs.Compose?.Include ?? [])
            {
                if (include.Filter.Count > 0 || include.ValueSet.Any())
                {
                    complete = false;
                }
                else if (include.Concept.Count > 0)
                {
                    codes.AddRange(include.Concept.Select(c => new TokenValue(include.System, c.Code, false)));
                }
                else if (include.System is not null && systems.TryGetValue(include.System, out var cs))
                {
                    codes.AddRange(Flatten(cs.Concept).Select(c => new TokenValue(include.System, c.Code, false)));
                }
                else
                {
                    complete = false;
                }
            }

            if (complete)
            {
                expansions[vs.Url!] = codes;
            }
        }

        _expansions = expansions.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IReadOnlyList<TokenValue>? Expand(string url) => _expansions.GetValueOrDefault(url);

    private static IEnumerable<CodeSystem.ConceptDefinitionComponent> Flatten(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts) =>
        concepts.SelectMany(c => new[] { c }.Concat(Flatten(c.Concept)));
}

/// <summary>The conformance resources of profiles/ that search uses: SearchParameters, ValueSets, CodeSystems.</summary>
public sealed record SearchProfiles(IReadOnlyList<SearchParameter> SearchParameters, IReadOnlyList<ValueSet> ValueSets, IReadOnlyList<CodeSystem> CodeSystems)
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    public static SearchProfiles Empty { get; } = new([], [], []);

    /// <summary>Reads <c>SearchParameter-*.json</c>, <c>ValueSet-*.json</c> and <c>CodeSystem-*.json</c> of a directory (strict JSON).</summary>
    public static SearchProfiles Load(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return Empty;
        }

        List<T> Read<T>(string prefix)
            where T : Resource =>
            Directory.EnumerateFiles(directory, prefix + "-*.json").Order(StringComparer.Ordinal)
                .Select(f => Strict.DeserializeResource(File.ReadAllText(f))).OfType<T>().ToList();

        return new SearchProfiles(Read<SearchParameter>("SearchParameter"), Read<ValueSet>("ValueSet"), Read<CodeSystem>("CodeSystem"));
    }
}
