using System.Text.Json.Nodes;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Patch;

/// <summary>A checked patch: a JSON Patch document or a FHIRPath Patch Parameters. https://hl7.org/fhir/R4/http.html#patch</summary>
public sealed class PatchDocument
{
    private PatchDocument(JsonArray? json, Parameters? fhirPath) => (Json, FhirPath) = (json, fhirPath);

    public JsonArray? Json { get; }

    public Parameters? FhirPath { get; }

    public static PatchDocument FromJsonPatch(ReadOnlySpan<byte> body) => new(JsonPatch.Parse(body), null);

    public static PatchDocument FromParameters(Parameters parameters)
    {
        FhirPathPatch.Check(parameters);
        return new PatchDocument(null, parameters);
    }

    /// <summary>
    /// The patch of a transaction entry: a Parameters (FHIRPath Patch) or a Binary whose contentType is
    /// <c>application/json-patch+json</c> (http.html#transaction: "PATCH ... the resource is a Binary").
    /// </summary>
    public static PatchDocument FromBundleResource(Resource resource) => resource switch
    {
        Parameters parameters => FromParameters(parameters),
        Binary { ContentType: JsonPatch.MediaType, Data: { } data } => FromJsonPatch(data),
        _ => throw FhirOutcomeException.Of(
            FailureKind.Invalid,
            $"A PATCH entry carries a Parameters (FHIRPath Patch) or a Binary of type {JsonPatch.MediaType}, not a {resource.TypeName}.",
            "resource"),
    };
}
