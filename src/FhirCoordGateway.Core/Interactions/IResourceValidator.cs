using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// Port to the profile validator. Returns every issue found; errors block the write (422), warnings do not.
/// </summary>
public interface IResourceValidator
{
    OperationOutcome Validate(Resource resource);
}

/// <summary>Accepts everything: used until a profile validator is configured.</summary>
public sealed class NoProfileValidation : IResourceValidator
{
    public OperationOutcome Validate(Resource resource) => new();
}
