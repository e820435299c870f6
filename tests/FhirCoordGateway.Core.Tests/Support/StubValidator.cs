using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Support;

/// <summary>A validator that answers a fixed OperationOutcome and counts its calls.</summary>
internal sealed class StubValidator(OperationOutcome answer) : IResourceValidator
{
    public int Calls { get; private set; }

    public OperationOutcome Validate(Resource resource)
    {
        Calls++;
        return answer;
    }
}
