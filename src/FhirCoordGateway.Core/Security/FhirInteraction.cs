namespace FhirCoordGateway.Core.Security;

/// <summary>The RESTful interactions of https://hl7.org/fhir/R4/http.html, plus operations.</summary>
public enum FhirInteraction
{
    Capabilities,
    Read,
    VRead,
    Create,
    Update,
    Patch,
    Delete,
    HistoryInstance,
    HistoryType,
    HistorySystem,
    SearchType,
    SearchSystem,
    Batch,
    Transaction,
    Operation,
}

/// <summary>What a request is about to do: the single thing the authorization point decides on.</summary>
public sealed record FhirRequestContext(FhirInteraction Interaction, string? ResourceType, string? Id, string? Operation = null);
