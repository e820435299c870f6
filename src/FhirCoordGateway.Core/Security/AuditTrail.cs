namespace FhirCoordGateway.Core.Security;

/// <summary>Constants of the audit trail (ADR 0011).</summary>
public static class AuditTrail
{
    public const string ResourceType = "AuditEvent";

    /// <summary>At most this many resource references per AuditEvent (a search page with its includes fits).</summary>
    public const int MaxEntities = 200;
}
