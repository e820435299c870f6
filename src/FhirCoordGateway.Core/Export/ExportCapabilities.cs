using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Export;

/// <summary>Declares the Bulk Data <c>$export</c> operations: system level, and on Patient and Group.</summary>
public sealed class ExportCapabilities : ICapabilityContributor
{
    private const string Definitions = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/";

    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        rest.Operation.Add(new CapabilityStatement.OperationComponent { Name = "export", Definition = Definitions + "export" });
        rest.Resource.FirstOrDefault(r => r.Type == "Patient")?.Operation.Add(
            new CapabilityStatement.OperationComponent { Name = "export", Definition = Definitions + "patient-export" });
        rest.Resource.FirstOrDefault(r => r.Type == "Group")?.Operation.Add(
            new CapabilityStatement.OperationComponent { Name = "export", Definition = Definitions + "group-export" });
    }
}
