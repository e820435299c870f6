using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Capabilities;

/// <summary>A feature that adds what it supports (profiles, operations…) to the CapabilityStatement.</summary>
public interface ICapabilityContributor
{
    void Contribute(CapabilityStatement.RestComponent rest);
}
