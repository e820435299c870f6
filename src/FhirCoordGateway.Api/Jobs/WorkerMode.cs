namespace FhirCoordGateway.Api.Jobs;

/// <summary>
/// <c>FhirCoordGateway worker</c>: the same binary as a background worker. It runs the Hangfire server and
/// the change-feed consumers and serves only the health endpoints (for probes), so that several nodes can
/// share the background work while others answer the FHIR API with <c>Jobs:RunServer=false</c>.
/// </summary>
public static class WorkerMode
{
    public const string Command = "worker";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Command;
}
