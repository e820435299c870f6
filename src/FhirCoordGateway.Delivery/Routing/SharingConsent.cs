using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>
/// The patient's opposition to the shared record (docs/adr/0008): an active Consent for the patient whose
/// provision (or a nested one) denies the purpose <c>fhircoord-sharing-purpose#shared-record</c>.
/// </summary>
public sealed class SharingConsent(IResourceStore store, SearchQueryParser parser)
{
    public const string PurposeSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-sharing-purpose";
    public const string SharedRecordPurpose = "shared-record";

    public async Task<bool> OpposesSharedRecordAsync(string patientId, CancellationToken ct)
    {
        var query = parser.Parse("Consent", [new("patient", $"Patient/{patientId}"), new("status", "active")], strict: true);
        var consents = await store.SearchAsync(query, 100, ct);
        return consents.Select(c => (Consent)ResourceJson.Parse(c.Json!)).Any(c => Denies(c.Provision));
    }

    private static bool Denies(Consent.provisionComponent? provision) =>
        provision is not null
        && ((provision.Type == Consent.ConsentProvisionType.Deny
             && provision.Purpose.Any(p => p.System == PurposeSystem && p.Code == SharedRecordPurpose))
            || provision.Provision.Any(Denies));
}
