using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>A coded XDS metadata value: the classification's nodeRepresentation, its codingScheme slot and its name.</summary>
public sealed record XdsCode(string Code, string CodingScheme, string Display)
{
    // XDS carries code systems as OIDs; FHIR names the common ones by URL.
    private static readonly Dictionary<string, string> KnownSystemOids = new(StringComparer.Ordinal)
    {
        ["http://loinc.org"] = "2.16.840.1.113883.6.1",
        ["http://snomed.info/sct"] = "2.16.840.1.113883.6.96",
        ["http://terminology.hl7.org/CodeSystem/v3-Confidentiality"] = "2.16.840.1.113883.5.25",
        ["http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"] = "1.3.6.1.4.1.19376.1.2.3",
    };

    /// <summary>Normal confidentiality, the XDS default when the DocumentReference has no security label.</summary>
    public static readonly XdsCode NormalConfidentiality = new("N", "2.16.840.1.113883.5.25", "Normal");

    public static XdsCode? From(Coding? coding) =>
        coding is { Code: { Length: > 0 } code }
            ? new XdsCode(code, SchemeOf(coding.System), coding.Display ?? code)
            : null;

    /// <summary>The concept's first coding; its text names it when the coding has no display.</summary>
    public static XdsCode? From(CodeableConcept? concept) =>
        From(concept?.Coding.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))) is { } code
            ? code with { Display = concept!.Coding.First(c => c.Code == code.Code).Display ?? concept.Text ?? code.Code }
            : null;

    private static string SchemeOf(string? system) => system switch
    {
        null or "" => "",
        _ when KnownSystemOids.TryGetValue(system, out var oid) => oid,
        _ when system.StartsWith("urn:oid:", StringComparison.Ordinal) => system["urn:oid:".Length..],
        _ => system,
    };
}
