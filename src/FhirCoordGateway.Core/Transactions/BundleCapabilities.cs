using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>Declares batch, transaction and patch (JSON Patch and FHIRPath Patch) in the CapabilityStatement.</summary>
public sealed class BundleCapabilities(BundleOptions options) : ICapabilityContributor
{
    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent
        {
            Code = CapabilityStatement.SystemRestfulInteraction.Transaction,
            Documentation = $"All or nothing in one database transaction; at most {options.MaxEntries} entries.",
        });
        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent
        {
            Code = CapabilityStatement.SystemRestfulInteraction.Batch,
            Documentation = $"Each entry in its own database transaction; at most {options.MaxEntries} entries.",
        });
        foreach (var resource in rest.Resource)
        {
            resource.Interaction.Add(new CapabilityStatement.ResourceInteractionComponent
            {
                Code = CapabilityStatement.TypeRestfulInteraction.Patch,
                Documentation = "application/json-patch+json (RFC 6902) or a FHIRPath Patch Parameters; conditional and with If-Match.",
            });
        }
    }
}
