using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Patch;

/// <summary>FHIR patch. https://hl7.org/fhir/R4/http.html#patch</summary>
public sealed class PatchHandler
{
    public Task<string> ResolveConditionalAsync(IResourceUnitOfWork uow, string resourceType, SearchQuery criteria, CancellationToken ct) =>
        throw FhirOutcomeException.Of(FailureKind.Invalid, "PATCH is not supported yet.");

    public Task<WriteResult> PatchInAsync(IResourceUnitOfWork uow, string resourceType, string id, PatchDocument patch, int? ifMatch, CancellationToken ct) =>
        throw FhirOutcomeException.Of(FailureKind.Invalid, "PATCH is not supported yet.");
}

/// <summary>A parsed patch.</summary>
public sealed record PatchDocument
{
    public static PatchDocument FromBundleResource(Resource resource) => new();
}
