namespace FhirCoordGateway.Core.Interactions;

/// <summary>Server-assigned logical ids; injected so tests can fix them.</summary>
public interface IResourceIdGenerator
{
    string NewId();
}

/// <summary>Time-ordered UUIDs (v7): unique across nodes and friendly to btree indexes.</summary>
public sealed class GuidV7IdGenerator : IResourceIdGenerator
{
    public string NewId() => Guid.CreateVersion7().ToString();
}
