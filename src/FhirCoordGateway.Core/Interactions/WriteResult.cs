using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// The outcome of a create or update: the version now current, the resource as stored, whether a new
/// resource came into being (201) and the non-blocking validation issues (for Prefer: return=OperationOutcome).
/// </summary>
public sealed record WriteResult(StoredResource Stored, Resource Resource, bool Created, OperationOutcome Warnings)
{
    /// <summary>True when no new version was written: a conditional create that matched an existing resource.</summary>
    public bool Existing { get; init; }
}
