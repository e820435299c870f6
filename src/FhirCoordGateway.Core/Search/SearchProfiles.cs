using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Search;

/// <summary>The SearchParameters of profiles/ (ValueSets for <c>:in</c> come from the validator's terminology).</summary>
public sealed record SearchProfiles(IReadOnlyList<SearchParameter> SearchParameters)
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    public static SearchProfiles Empty { get; } = new([]);

    /// <summary>Reads <c>SearchParameter-*.json</c> of a directory (strict JSON).</summary>
    public static SearchProfiles Load(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return Empty;
        }

        return new SearchProfiles(Directory.EnumerateFiles(directory, "SearchParameter-*.json").Order(StringComparer.Ordinal)
            .Select(f => Strict.DeserializeResource(File.ReadAllText(f))).OfType<SearchParameter>().ToList());
    }
}
