using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>Lists the workflow operations in the CapabilityStatement (docs/adr/0013).</summary>
public sealed class WorkflowCapabilities : ICapabilityContributor
{
    public const string OperationBase = "https://fhircoord.example/fhir/OperationDefinition/";

    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        rest.Resource.FirstOrDefault(r => r.Type == "CarePlan")?.Operation.Add(
            new CapabilityStatement.OperationComponent { Name = PpsActivationRule.Operation, Definition = OperationBase + "CarePlan-validate-by-mt" });
        rest.Operation.Add(new CapabilityStatement.OperationComponent { Name = "coordination-report", Definition = OperationBase + "coordination-report" });
    }
}
