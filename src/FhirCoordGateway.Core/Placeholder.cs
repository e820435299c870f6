namespace FhirCoordGateway.Core; internal static class Placeholder { }
