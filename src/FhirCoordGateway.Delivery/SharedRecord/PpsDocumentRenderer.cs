using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>What a PPS rendering needs: the CarePlan version and the resources it points to that could be read.</summary>
/// <param name="CarePlan">The CarePlan version (profile <c>fhircoord-careplan-pps</c>; id and meta.versionId set).</param>
/// <param name="Related">Practitioners, PractitionerRoles, Organizations, RelatedPersons, Goals and the CareTeam it names, to print names and goals.</param>
/// <param name="Custodian">The structure keeping the document (the MT's practice), when known; otherwise the configured default custodian.</param>
/// <param name="Previous">The PPS DocumentReference of the previous CarePlan version, which this one replaces.</param>
public sealed record PpsRenderRequest(
    CarePlan CarePlan,
    Patient Patient,
    IReadOnlyList<Resource> Related,
    Organization? Custodian = null,
    DocumentReference? Previous = null);

/// <summary>
/// Renders a PPS version (CarePlan, profile <c>fhircoord-careplan-pps</c>) as a readable HTML document and describes
/// it with a DocumentReference (profile <c>fhircoord-documentreference-pps</c>: LOINC 18776-5, the HTML inline in
/// the attachment with its SHA-1 and size) that the gateway stores and routes like any document. A pure function:
/// the same CarePlan version gives the same document, with the same uniqueId.
/// HAS PPS/PPCS content: DOMAIN.md §3.6.
/// </summary>
// Design: the HTML goes inline in the attachment (one resource to store, no Binary to keep in step); every text from
// the resources is HTML-encoded. A new CarePlan version gives a new DocumentReference that replaces the previous PPS
// document (relatesTo), naming it by reference and by its uniqueId, which the shared record needs.
public sealed class PpsDocumentRenderer(IOptions<SharedRecordOptions> options)
{
    public const string Profile = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-documentreference-pps";
    public const string RevisionDateExtension = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-pps-revision-date";
    public const string MtValidationExtension = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-pps-mt-validation";
    private const string ContentType = "text/html";

    private readonly SharedRecordOptions _options = options.Value;

    public DocumentReference Render(PpsRenderRequest request)
    {
        var plan = request.CarePlan;
        if (plan.Id is null || plan.Meta?.VersionId is not { } version)
            throw new ArgumentException("The CarePlan needs its id and meta.versionId: the document renders one version.", nameof(request));
        var names = new ReferenceNames(request);
        var validation = MtValidation(plan);
        var date = plan.Meta.LastUpdated ?? validation?.At ?? ParseDate(plan.Created)
            ?? throw new ArgumentException("The CarePlan has no meta.lastUpdated, MT validation or created date to date the document.", nameof(request));
        var title = $"Plan personnalisé de santé — {names.Patient}";
        var html = Encoding.UTF8.GetBytes(PpsHtml.Render(request, names, validation, title, version));

        var document = new DocumentReference
        {
            Meta = new Meta { Profile = [Profile] },
            Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Generated,
                Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{PpsHtml.Encode(title)} (version {PpsHtml.Encode(version)}).</p></div>",
            },
            MasterIdentifier = new Identifier(Codes.Rfc3986, DocumentUniqueIds.EntryUuid($"CarePlan/{plan.Id}/_history/{version}", "pps-document")),
            Status = DocumentReferenceStatus.Current,
            DocStatus = plan.Status == RequestStatus.Draft ? CompositionStatus.Preliminary : CompositionStatus.Final,
            Type = new CodeableConcept(Codes.Loinc, "18776-5", "Plan personnalisé de soins"),
            Category = [new CodeableConcept(Codes.ClassSystem, "11", "Synthèse")],
            Subject = new ResourceReference($"Patient/{request.Patient.Id}"),
            Date = date,
            Author = plan.Author is null ? [] : [(ResourceReference)plan.Author.DeepCopy()],
            Authenticator = validation is null ? null : (ResourceReference)validation.Validator.DeepCopy(),
            Custodian = Custodian(request),
            SecurityLabel = [new CodeableConcept { Coding = [_options.DefaultConfidentiality.ToCoding()] }],
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment
                    {
                        ContentType = ContentType,
                        Language = "fr-FR",
                        Data = html,
                        // SizeUnsignedInt, not Size: the SDK's Size is the R5 integer64, which serializes as a JSON string.
                        SizeUnsignedInt = html.Length,
                        Hash = SHA1.HashData(html),
                        Title = title,
                        CreationElement = new FhirDateTime(date),
                    },
                    Format = Codes.FormatFor(ContentType),
                },
            ],
            Context = new DocumentReference.ContextComponent
            {
                Period = new Period { StartElement = plan.Period?.StartElement is { } start ? (FhirDateTime)start.DeepCopy() : new FhirDateTime(date) },
                FacilityType = new CodeableConcept { Coding = [_options.DefaultFacilityType.ToCoding()] },
                PracticeSetting = new CodeableConcept { Coding = [_options.DefaultPracticeSetting.ToCoding()] },
                SourcePatientInfo = new ResourceReference($"Patient/{request.Patient.Id}"),
                Related = [new ResourceReference($"CarePlan/{plan.Id}/_history/{version}")],
            },
        };
        if (request.Previous is { } previous)
        {
            document.RelatesTo.Add(new DocumentReference.RelatesToComponent
            {
                Code = DocumentRelationshipType.Replaces,
                Target = new ResourceReference($"DocumentReference/{previous.Id}")
                {
                    Identifier = new Identifier(Codes.Rfc3986, DocumentUniqueIds.UniqueId(previous)),
                },
            });
        }
        return document;
    }

    private ResourceReference Custodian(PpsRenderRequest request) =>
        request.Custodian is { Id: { } id } organization ? new ResourceReference($"Organization/{id}", organization.Name)
        : _options.DefaultCustodian is { } configured
            ? new ResourceReference { Type = "Organization", Identifier = new Identifier(configured.IdentifierSystem, configured.IdentifierValue), Display = configured.Name }
        : throw new ArgumentException("No custodian: give the MT's practice or configure Delivery:SharedRecord:DefaultCustodian.", nameof(request));

    /// <summary>The MT validation extension (who, when), or null when the plan is not validated.</summary>
    internal static PpsValidation? MtValidation(CarePlan plan) =>
        plan.GetExtension(MtValidationExtension) is { } ext
        && ext.GetExtension("validator")?.Value is ResourceReference validator
        && ext.GetExtension("dateTime")?.Value is FhirDateTime at
            ? new PpsValidation(validator, at.ToDateTimeOffset(TimeSpan.Zero)) : null;

    private static DateTimeOffset? ParseDate(string? value) =>
        value is not null && new FhirDateTime(value).TryToDateTimeOffset(out var parsed) ? parsed : null;
}

internal sealed record PpsValidation(ResourceReference Validator, DateTimeOffset At);
