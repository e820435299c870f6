using System.Collections.Concurrent;
using System.Reflection;
using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>The CapabilityStatement is built once per base URL: what the server supports does not change while it runs.</summary>
public sealed class CapabilityStatementCache(CapabilityStatementBuilder builder)
{
    private static readonly string Version =
        typeof(CapabilityStatementCache).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private readonly ConcurrentDictionary<string, CapabilityStatement> _byBase = new();

    public CapabilityStatement For(string baseUrl) => _byBase.GetOrAdd(baseUrl, b => builder.Build(b, Version));
}
