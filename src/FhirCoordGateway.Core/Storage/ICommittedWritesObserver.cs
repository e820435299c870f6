namespace FhirCoordGateway.Core.Storage;

/// <summary>
/// Told, in process, about the versions a unit of work wrote, once its transaction has committed (never for a
/// rollback). For in-memory state that mirrors stored resources, such as the validator's conformance registry.
/// Durable reactions (subscriptions, document routing) read the change log instead.
/// </summary>
public interface ICommittedWritesObserver
{
    void OnCommitted(IReadOnlyList<NewVersion> versions);
}
