using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Compilation;

/// <summary>A StructureDefinition snapshot compiled into an <see cref="ElementNode"/> tree.</summary>
internal sealed class CompiledProfile
{
    public required string Url { get; init; }
    public required string Type { get; init; }
    public required StructureDefinition Definition { get; init; }
    public required ElementNode Root { get; init; }
    public bool IsCore { get; init; }
    /// <summary>Nodes by element id, used for contentReference.</summary>
    public required Dictionary<string, ElementNode> ById { get; init; }
}
