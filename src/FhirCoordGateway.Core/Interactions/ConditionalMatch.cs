using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>
/// Resolves the criteria of a conditional interaction inside its transaction, race-free: the criteria's
/// lock is taken first, so two requests with the same criteria decide one after the other and the second
/// sees what the first committed. https://hl7.org/fhir/R4/http.html#ccreate
/// </summary>
internal static class ConditionalMatch
{
    /// <summary>The single current match, null when none, 412 when several.</summary>
    public static async Task<StoredResource?> FindSingleAsync(IResourceUnitOfWork uow, SearchQuery query, string interaction, CancellationToken ct)
    {
        if (query.IsEmpty)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"A conditional {interaction} needs search criteria.");
        }

        await uow.LockAsync("conditional:" + SearchQueryKey.Of(query), ct);
        var matches = await uow.SearchAsync(query, 2, ct);
        if (matches.Count > 1)
        {
            throw FhirOutcomeException.Of(
                FailureKind.PreconditionFailed, $"The criteria of this conditional {interaction} match more than one resource.");
        }

        return matches.SingleOrDefault();
    }
}
