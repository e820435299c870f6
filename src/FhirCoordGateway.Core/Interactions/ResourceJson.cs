using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// The stored form of a resource: compact FHIR JSON. Stored JSON was checked when it was written,
/// so it is read back leniently (Ostrich mode never throws on content the SDK cannot place).
/// </summary>
public static class ResourceJson
{
    private static readonly FhirJsonDeserializer Lenient =
        new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    public static string Serialize(Resource resource) => FhirJsonSerializer.Default.SerializeToString(resource);

    public static Resource Parse(string json) => Lenient.DeserializeResource(json);
}
