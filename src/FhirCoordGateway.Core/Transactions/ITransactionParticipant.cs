using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// Lets a profile of transaction (e.g. an MHD Provide Document Bundle) take part in the bundle's unit of
/// work: decide how a POST entry resolves, and write more before the commit.
/// </summary>
public interface ITransactionParticipant
{
    /// <summary>The target of a POST entry, or null to let the default (If-None-Exist, else a new id) decide.</summary>
    Task<CreateTarget?> ResolveCreateAsync(IResourceUnitOfWork uow, TransactionEntry entry, CancellationToken ct);

    /// <summary>Called once every entry is written, before GET entries and the commit.</summary>
    Task AfterWritesAsync(IResourceUnitOfWork uow, TransactionPlan plan, CancellationToken ct);
}
