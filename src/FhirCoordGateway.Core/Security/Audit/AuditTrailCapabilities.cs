using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// What AuditEvent really supports (ADR 0016): read, vread and search on the audit trail's parameters; no writes, no
/// history, no includes, and no other type can <c>_revinclude</c> it.
/// </summary>
public sealed class AuditTrailCapabilities : ICapabilityContributor
{
    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        foreach (var resource in rest.Resource)
        {
            resource.SearchRevInclude = [.. resource.SearchRevInclude.Where(r => r is not null && !r.StartsWith(AuditTrail.ResourceType + ":", StringComparison.Ordinal))];
        }

        if (rest.Resource.FirstOrDefault(r => r.Type == AuditTrail.ResourceType) is not { } audit)
        {
            return;
        }

        audit.Interaction =
        [
            new() { Code = CapabilityStatement.TypeRestfulInteraction.Read },
            new() { Code = CapabilityStatement.TypeRestfulInteraction.Vread },
            new() { Code = CapabilityStatement.TypeRestfulInteraction.SearchType },
        ];
        audit.Versioning = CapabilityStatement.ResourceVersionPolicy.NoVersion;
        audit.ReadHistory = false;
        audit.UpdateCreate = false;
        audit.ConditionalCreate = false;
        audit.ConditionalUpdate = false;
        audit.ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported;
        audit.SearchParam = [.. audit.SearchParam.Where(p => AuditTrail.SearchParameters.Contains(p.Name))];
        audit.SearchInclude = [];
        audit.SearchRevInclude = [];
        audit.Documentation = "Recorded by the gateway for every access (read, search, write, operation, refusal, transmission); "
            + "searchable by auditors (scope AuditEvent.rs), sorted by recording order or by date (_sort=date, -date); no other search feature.";
    }
}
