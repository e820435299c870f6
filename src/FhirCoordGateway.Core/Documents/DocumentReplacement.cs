using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Documents;

/// <summary>
/// Replacement of a document (<c>relatesTo.code = replaces</c>, MHD/XDS RPLC): the replaced
/// DocumentReference gets status <c>superseded</c> in the same unit of work as its replacement, as a new
/// version through <see cref="UpdateHandler.WriteAsync"/> (validated, on the change log).
/// </summary>
public sealed class DocumentReplacement(UpdateHandler updates)
{
    /// <summary>The ids of the DocumentReferences that <paramref name="replacement"/> replaces.</summary>
    public static IEnumerable<string> ReplacedIds(DocumentReference replacement) => replacement.RelatesTo
        .Where(r => r.Code == DocumentRelationshipType.Replaces && r.Target?.Reference is { } t && t.StartsWith("DocumentReference/", StringComparison.Ordinal))
        .Select(r => r.Target!.Reference!["DocumentReference/".Length..].Split('/')[0]);

    /// <summary>Marks DocumentReference/<paramref name="id"/> superseded: 404 if absent, 409 if it is not current.</summary>
    public async Task SupersedeAsync(IResourceUnitOfWork uow, string id, string location, CancellationToken ct)
    {
        await uow.LockAsync($"DocumentReference/{id}", ct);
        var stored = await uow.ReadAsync("DocumentReference", id, ct);
        if (stored is null || stored.Deleted)
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"The replaced DocumentReference/{id} does not exist.", location);
        }

        var old = (DocumentReference)ResourceJson.Parse(stored.Json!);
        if (old.Status != DocumentReferenceStatus.Current)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Conflict, $"DocumentReference/{id} is {old.Status?.ToString().ToLowerInvariant()}, not current: it cannot be replaced again.", location);
        }

        old.Status = DocumentReferenceStatus.Superseded;
        await updates.WriteAsync(uow, old, id, stored.Version, ct);
    }
}
