using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Security;

/// <summary>Constants and rules of the audit trail (ADR 0011, ADR 0016).</summary>
public static class AuditTrail
{
    public const string ResourceType = "AuditEvent";

    /// <summary>At most this many resource references per AuditEvent (a search page with its includes fits).</summary>
    public const int MaxEntities = 200;

    /// <summary>The parameters AuditEvents are searched by (the audit trail's columns, ADR 0016); others answer 400.</summary>
    public static readonly IReadOnlyList<string> SearchParameters =
        ["_id", "_lastUpdated", "date", "entity", "agent", "patient", "altid", "type", "subtype", "action", "outcome"];

    /// <summary>
    /// What every authorization policy refuses on AuditEvents (405): clients' writes (the gateway alone records them) and
    /// history (an AuditEvent has one version, ADR 0016).
    /// </summary>
    public static void EnsureAllowed(FhirRequestContext request)
    {
        if (request.ResourceType != ResourceType)
        {
            return;
        }

        if (request.Interaction is FhirInteraction.Create or FhirInteraction.Update or FhirInteraction.Patch or FhirInteraction.Delete)
        {
            throw FhirOutcomeException.Of(FailureKind.MethodNotAllowed, "AuditEvent records are written by the gateway only and cannot be created, changed or deleted.");
        }

        if (request.Interaction is FhirInteraction.HistoryInstance or FhirInteraction.HistoryType)
        {
            throw FhirOutcomeException.Of(FailureKind.MethodNotAllowed, "AuditEvents have no history: each has one version, read or searched as is.");
        }
    }
}
