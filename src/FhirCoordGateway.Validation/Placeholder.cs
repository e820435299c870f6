namespace FhirCoordGateway.Validation; internal static class Placeholder { }
