using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Documents;

/// <summary>
/// A FHIR document (Bundle <c>type=document</c>, Composition first) posted to <c>[base]/Bundle</c>: stored
/// intact as a Bundle and indexed by a DocumentReference pointing at it, with the patient matched by INS.
/// https://hl7.org/fhir/R4/documents.html
/// </summary>
// Design: one unit of work holds the patient (matched or created), the Bundle, the DocumentReference and
// the supersession of a replaced document, so routing (issue 6) sees all of them or none on the change log.
// The same document (Bundle.identifier) posted twice is found by If-None-Exist and indexed once.
public sealed class DocumentBundleIngestion(
    IResourceStore store, CreateHandler creates, InsPatientMatcher patients, DocumentReplacement replacement, SearchQueryParser parser)
{
    public static bool IsDocument(Resource resource) => resource is Bundle { Type: Bundle.BundleType.Document };

    /// <returns>The stored Bundle (Existing when this document was already ingested) and its DocumentReference.</returns>
    public async Task<(WriteResult Bundle, StoredResource? DocumentReference)> IngestAsync(Bundle document, CancellationToken ct)
    {
        var composition = document.Entry.FirstOrDefault()?.Resource as Composition
            ?? throw Invalid("A document Bundle starts with a Composition (bdl-11).", "Bundle.entry[0].resource");
        if (document.Identifier?.System is not { } system || document.Identifier.Value is not { } value)
        {
            throw Invalid("A document Bundle has an identifier with system and value (bdl-9).", "Bundle.identifier");
        }

        var subject = composition.Subject?.Reference is { } reference
            ? document.Entry.FirstOrDefault(e => e.FullUrl == reference || (e.Resource is { } r && $"{r.TypeName}/{r.Id}" == reference))?.Resource as Patient
            : null;
        if (subject is null || InsPatientMatcher.Ins(subject) is not { } ins)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable, "The Composition's subject must be a Patient entry of the document carrying an INS identifier.", "Bundle.entry[0].resource.subject");
        }

        await using var uow = await store.BeginAsync(ct);
        var stored = await creates.CreateInAsync(
            uow, "Bundle", document, parser.Parse("Bundle", [new("identifier", $"{system}|{value}")], strict: true), ct);
        if (stored.Existing)
        {
            await uow.CommitAsync(ct);
            return (stored, null);
        }

        var patient = await patients.FindAsync(uow, subject, ins, ct)
            ?? (await creates.CreateInAsync(uow, "Patient", NewPatient(subject), null, ct)).Stored;
        var index = Index(document, composition, stored.Stored.Id, patient.Id);
        foreach (var (target, i) in composition.RelatesTo.Select((r, i) => (r, i)).Where(x => x.r.Code == DocumentRelationshipType.Replaces))
        {
            var replaced = await FindReplacedAsync(uow, target, $"Bundle.entry[0].resource.relatesTo[{i}]", ct);
            await replacement.SupersedeAsync(uow, replaced, $"Bundle.entry[0].resource.relatesTo[{i}]", ct);
            index.RelatesTo.Add(new DocumentReference.RelatesToComponent { Code = DocumentRelationshipType.Replaces, Target = new ResourceReference($"DocumentReference/{replaced}") });
        }

        var documentReference = await creates.CreateInAsync(uow, "DocumentReference", index, null, ct);
        await uow.CommitAsync(ct);
        return (stored, documentReference.Stored);
    }

    /// <summary>The DocumentReference of the replaced document: by its Bundle.identifier (targetIdentifier) or a DocumentReference reference.</summary>
    private async Task<string> FindReplacedAsync(IResourceUnitOfWork uow, Composition.RelatesToComponent relation, string at, CancellationToken ct)
    {
        switch (relation.Target)
        {
            case Identifier { System: { } s, Value: { } v }:
                var matches = await uow.SearchAsync(parser.Parse("DocumentReference", [new("identifier", $"{s}|{v}")], strict: true), 2, ct);
                return matches.Count == 1 ? matches[0].Id : throw FhirOutcomeException.Of(
                    matches.Count == 0 ? FailureKind.NotFound : FailureKind.PreconditionFailed,
                    matches.Count == 0 ? "No stored document has the replaced identifier." : "Several stored documents have the replaced identifier.",
                    at);
            case ResourceReference { Reference: { } r } when r.StartsWith("DocumentReference/", StringComparison.Ordinal):
                return r["DocumentReference/".Length..].Split('/')[0];
            default:
                throw Invalid("A replaced document is named by targetIdentifier (its Bundle.identifier) or a DocumentReference reference.", at);
        }
    }

    private static Patient NewPatient(Patient submitted)
    {
        var patient = (Patient)submitted.DeepCopy();
        patient.Id = null;
        patient.Meta = null;
        return patient;
    }

    /// <summary>The DocumentReference that indexes a stored document Bundle (masterIdentifier = Bundle.identifier).</summary>
    private static DocumentReference Index(Bundle document, Composition composition, string bundleId, string patientId) => new()
    {
        MasterIdentifier = (Identifier)document.Identifier!.DeepCopy(),
        Status = DocumentReferenceStatus.Current,
        DocStatus = composition.Status switch
        {
            CompositionStatus.Final => CompositionStatus.Final,
            CompositionStatus.Amended => CompositionStatus.Amended,
            _ => CompositionStatus.Preliminary,
        },
        Type = (CodeableConcept?)composition.Type?.DeepCopy(),
        Category = composition.Category.Select(c => (CodeableConcept)c.DeepCopy()).ToList(),
        Subject = new ResourceReference($"Patient/{patientId}"),
        Date = DateTimeOffset.TryParse(composition.Date, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date) ? date : null,
        Description = composition.Title,
        SecurityLabel = composition.Confidentiality is { } level
            ? [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", level.ToString())]
            : [],
        Content =
        [
            new DocumentReference.ContentComponent
            {
                Attachment = new Attachment { ContentType = "application/fhir+json", Url = $"Bundle/{bundleId}", Title = composition.Title, Creation = composition.Date },
                Format = new Coding("urn:ietf:rfc:3986", "http://hl7.org/fhir/R4/documents.html", "FHIR document"),
            },
        ],
    };

    private static FhirOutcomeException Invalid(string message, string expression) => FhirOutcomeException.Of(FailureKind.Invalid, message, expression);
}
