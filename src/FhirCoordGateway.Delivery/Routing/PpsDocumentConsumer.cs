using System.IO.Hashing;
using System.Text;
using FhirCoordGateway.Core.Documents;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery.SharedRecord;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>
/// Turns every active PPS version (CarePlan with the PPS profile) into a stored document: a DocumentReference
/// (LOINC 18776-5, readable HTML) that replaces the previous version's document, which becomes superseded.
/// The new DocumentReference is then routed like any other document (<see cref="DocumentRoutingConsumer"/>).
/// Draft plans are not shared: a PPS leaves the gateway once the médecin traitant has validated it.
/// </summary>
public sealed class PpsDocumentConsumer(
    IResourceStore store, PpsDocumentRenderer renderer, UpdateHandler updates, DocumentReplacement replacement,
    ILogger<PpsDocumentConsumer> logger) : IChangeConsumer
{
    public const string PpsProfile = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-careplan-pps";

    public string Name => "pps-documents";

    /// <summary>The id of the document of one PPS version: routing the same change twice finds it.</summary>
    public static string DocumentId(string carePlanId, int version) =>
        "pps-" + Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes($"CarePlan/{carePlanId}/_history/{version}")));

    public async Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct)
    {
        foreach (var entry in entries.Where(e => e.ResourceType == "CarePlan" && e.Operation != ChangeOperation.Delete))
        {
            try
            {
                await PublishAsync(entry, ct);
            }
            catch (ArgumentException ex)
            {
                // A plan that cannot be rendered (no custodian, no date) must not block the feed; it is logged by id.
                logger.LogWarning("PPS CarePlan/{CarePlanId}/_history/{Version} not published as a document: {Reason}", entry.Id, entry.Version, ex.Message);
            }
        }
    }

    private async Task PublishAsync(ChangeEntry entry, CancellationToken ct)
    {
        var stored = await store.ReadVersionAsync("CarePlan", entry.Id, entry.Version, ct);
        if (StoreReferences.As<CarePlan>(stored) is not { Status: RequestStatus.Active } plan
            || plan.Meta?.Profile.Contains(PpsProfile) != true
            || await store.ExistsAsync("DocumentReference", DocumentId(entry.Id, entry.Version), ct))
        {
            return;
        }

        if (await store.ReadReferenceAsync<Patient>(plan.Subject?.Reference, ct) is not { } patient)
        {
            logger.LogWarning("PPS CarePlan/{CarePlanId}/_history/{Version} has no stored patient; not published", entry.Id, entry.Version);
            return;
        }

        var previous = await PreviousDocumentAsync(entry, ct);
        var document = renderer.Render(new PpsRenderRequest(plan, patient, await RelatedAsync(plan, ct), Previous: previous));
        document.Id = DocumentId(entry.Id, entry.Version);

        await using var uow = await store.BeginAsync(ct);
        if (previous is { Status: DocumentReferenceStatus.Current })
        {
            await replacement.SupersedeAsync(uow, previous.Id!, "DocumentReference.relatesTo", ct);
        }

        await updates.UpdateInAsync(uow, "DocumentReference", document.Id, document, ifMatch: null, ct);
        await uow.CommitAsync(ct);
        logger.LogInformation("PPS CarePlan/{CarePlanId}/_history/{Version} published as DocumentReference/{DocumentId}", entry.Id, entry.Version, document.Id);
    }

    /// <summary>The document of the latest earlier version of the plan that was published.</summary>
    private async Task<DocumentReference?> PreviousDocumentAsync(ChangeEntry entry, CancellationToken ct)
    {
        for (var version = entry.Version - 1; version >= 1; version--)
        {
            if (await store.ReadReferenceAsync<DocumentReference>($"DocumentReference/{DocumentId(entry.Id, version)}", ct) is { } previous)
            {
                return previous;
            }
        }

        return null;
    }

    /// <summary>The resources the plan names, for the rendering's names and goals.</summary>
    private async Task<IReadOnlyList<Resource>> RelatedAsync(CarePlan plan, CancellationToken ct)
    {
        var references = new[] { plan.Author }.Concat(plan.Contributor).Concat(plan.CareTeam).Concat(plan.Goal)
            .Concat(plan.Activity.SelectMany(a => a.Detail?.Performer ?? []))
            .Select(r => r?.Reference).OfType<string>().Distinct(StringComparer.Ordinal);
        var related = new List<Resource>();
        foreach (var reference in references)
        {
            if (await store.ReadReferenceAsync<Resource>(reference, ct) is { } resource)
            {
                related.Add(resource);
            }
        }

        return related;
    }
}
