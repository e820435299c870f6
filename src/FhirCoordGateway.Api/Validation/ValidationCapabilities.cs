using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Validation;

/// <summary>Adds the loaded local profiles (supportedProfile) and the validation and terminology operations.</summary>
public sealed class ValidationCapabilities(ProfileRegistry registry) : ICapabilityContributor
{
    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        var profiles = registry.Current.LocalResources.OfType<StructureDefinition>()
            .Where(sd => sd.Kind == StructureDefinition.StructureDefinitionKind.Resource && sd.Derivation == StructureDefinition.TypeDerivationRule.Constraint)
            .ToLookup(sd => sd.Type);
        foreach (var resource in rest.Resource)
        {
            resource.SupportedProfile = profiles[resource.Type].Select(sd => sd.Url).Order(StringComparer.Ordinal).ToList();
            resource.Operation.Add(Operation("validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate"));
            if (resource.Type == "ValueSet")
            {
                resource.Operation.Add(Operation("expand", "http://hl7.org/fhir/OperationDefinition/ValueSet-expand"));
                resource.Operation.Add(Operation("validate-code", "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"));
            }
            else if (resource.Type == "CodeSystem")
            {
                resource.Operation.Add(Operation("validate-code", "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"));
            }
        }
    }

    private static CapabilityStatement.OperationComponent Operation(string name, string definition) =>
        new() { Name = name, Definition = definition };
}
