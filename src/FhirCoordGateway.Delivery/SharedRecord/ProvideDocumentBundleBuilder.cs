using System.Security.Cryptography;
using FhirCoordGateway.Core.Documents;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>An ITI-65 request: the transaction and the uniqueId of the document it carries.</summary>
/// <param name="DocumentEntryIndex">Index of the DocumentReference entry (its response entry holds the location).</param>
public sealed record ProvideDocumentSubmission(Bundle Bundle, string UniqueId, int DocumentEntryIndex);

/// <summary>
/// Builds the ITI-65 Provide Document Bundle of one stored document as PDSm 3.1.1 profiles it
/// (<c>pdsm-comprehensive-provide-document-bundle</c>): a transaction holding the SubmissionSet List, the
/// DocumentReference and the Binary with the content, each POSTed under a <c>urn:uuid:</c> fullUrl.
/// https://profiles.ihe.net/ITI/MHD/ITI-65.html, DOMAIN.md §3.4, local profile <c>fhircoord-provide-document-bundle</c>.
/// </summary>
// Design: everything the shared record cannot resolve (our Patient, author and custodian ids) goes as contained
// copies or as logical references by identifier (INS, IdNatStruct); the ids of the submission are derived from
// the document (DocumentUniqueIds), so a retry sends the same bundle but for the submission date.
public sealed class ProvideDocumentBundleBuilder(IOptions<SharedRecordOptions> options, TimeProvider time)
{
    public const string PatientContainedId = "patient";

    private readonly SharedRecordOptions _options = options.Value;

    public ProvideDocumentSubmission Build(OutboundDocument outbound)
    {
        var stored = outbound.Document;
        var uniqueId = DocumentUniqueIds.UniqueId(stored);
        var ins = InsPatientMatcher.Ins(outbound.Patient)
            ?? throw new DeliveryFailedException("The patient has no INS: the shared record files documents by INS only.", transient: false);
        var documentUrl = DocumentUniqueIds.EntryUuid(uniqueId, "DocumentReference");
        var binaryUrl = DocumentUniqueIds.EntryUuid(uniqueId, "Binary");
        var submissionUrl = DocumentUniqueIds.EntryUuid(uniqueId, "SubmissionSet");
        var now = time.GetUtcNow();

        var document = DocumentReference(outbound, uniqueId, documentUrl, binaryUrl, ins, now);
        var submissionSet = SubmissionSet(outbound, uniqueId, submissionUrl, documentUrl, document, now);
        var binary = new Binary { ContentType = outbound.ContentType, Data = outbound.Content };

        var bundle = new Bundle
        {
            Meta = new Meta { Profile = [Codes.PdsmBundleProfile] },
            Type = Bundle.BundleType.Transaction,
            Timestamp = now,
        };
        bundle.Entry.Add(Entry(submissionUrl, submissionSet));
        bundle.Entry.Add(Entry(documentUrl, document));
        bundle.Entry.Add(Entry(binaryUrl, binary));
        return new ProvideDocumentSubmission(bundle, uniqueId, 1);
    }

    private static Bundle.EntryComponent Entry(string fullUrl, Resource resource) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
    };

    private DocumentReference DocumentReference(OutboundDocument outbound, string uniqueId, string fullUrl, string binaryUrl, Identifier ins, DateTimeOffset now)
    {
        var stored = outbound.Document;
        var authors = new ContainedAuthors(outbound.Authors);
        var storedContent = stored.Content.FirstOrDefault();
        var date = stored.Date ?? now;
        var document = new DocumentReference
        {
            Meta = new Meta { Profile = [Codes.PdsmDocumentReferenceProfile] },
            Text = (Narrative?)stored.Text?.DeepCopy(),
            MasterIdentifier = new Identifier(Codes.Rfc3986, uniqueId),
            Identifier = [new Identifier(Codes.Rfc3986, fullUrl) { Use = Identifier.IdentifierUse.Official }],
            Status = DocumentReferenceStatus.Current,
            Type = (CodeableConcept?)stored.Type?.DeepCopy()
                ?? throw new DeliveryFailedException("The DocumentReference has no type: the shared record needs the document's type code.", transient: false),
            Category = stored.Category.Count > 0 ? [.. stored.Category.Select(c => (CodeableConcept)c.DeepCopy())] : [Concept(_options.DefaultCategory)],
            Subject = PatientByIns(ins),
            Date = date,
            Description = stored.Description,
            SecurityLabel = SecurityLabels(stored),
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment
                    {
                        ContentType = outbound.ContentType,
                        Language = storedContent?.Attachment?.Language ?? "fr-FR",
                        Url = binaryUrl,
                        // SizeUnsignedInt, not Size: the SDK's Size is the R5 integer64, which serializes as a JSON string.
                        SizeUnsignedInt = outbound.Content.Length,
                        Hash = SHA1.HashData(outbound.Content),
                        Title = storedContent?.Attachment?.Title ?? stored.Description ?? stored.Type.Text ?? stored.Type.Coding.FirstOrDefault()?.Display ?? "Document",
                        CreationElement = (FhirDateTime?)storedContent?.Attachment?.CreationElement?.DeepCopy(),
                    },
                    Format = (Coding?)storedContent?.Format?.DeepCopy() ?? Codes.FormatFor(outbound.ContentType),
                },
            ],
            Context = Context(stored, date),
        };

        foreach (var author in stored.Author)
            if (authors.Reference(author) is { } reference) document.Author.Add(reference);
        if (document.Author.Count == 0)
            throw new DeliveryFailedException("None of the document's authors could be read or named by identifier: PDSm requires an author.", transient: false);
        document.Custodian = Custodian(outbound);
        document.RelatesTo.AddRange(Replacements(outbound));

        document.Contained.AddRange(authors.Contained);
        document.Contained.Add(SourcePatient(outbound.Patient));
        return document;
    }

    private DocumentReference.ContextComponent Context(DocumentReference stored, DateTimeOffset date)
    {
        var context = stored.Context;
        var period = (Period?)context?.Period?.DeepCopy() ?? new Period();
        period.StartElement ??= new FhirDateTime(date);
        return new DocumentReference.ContextComponent
        {
            Event = context?.Event.Select(e => (CodeableConcept)e.DeepCopy()).ToList() ?? [],
            Period = period,
            FacilityType = (CodeableConcept?)context?.FacilityType?.DeepCopy() ?? Concept(_options.DefaultFacilityType),
            PracticeSetting = (CodeableConcept?)context?.PracticeSetting?.DeepCopy() ?? Concept(_options.DefaultPracticeSetting),
            SourcePatientInfo = new ResourceReference("#" + PatientContainedId),
        };
    }

    /// <summary>The stored labels, with the configured confidentiality level when none is given (PDSm needs one).</summary>
    private List<CodeableConcept> SecurityLabels(DocumentReference stored)
    {
        var labels = stored.SecurityLabel.Select(l => (CodeableConcept)l.DeepCopy()).ToList();
        if (!labels.Any(l => l.Coding.Any(c => c.System == Codes.ConfidentialitySystem)))
            labels.Insert(0, Concept(_options.DefaultConfidentiality));
        return labels;
    }

    private ResourceReference Custodian(OutboundDocument outbound)
    {
        if (outbound.Custodian is { } organization && OrganizationIdentifier(organization) is { } identifier)
            return new ResourceReference { Type = "Organization", Identifier = identifier, Display = organization.Name };
        if (outbound.Document.Custodian is { } stored && ContainedAuthors.Logical(stored) is { Identifier: not null } logical)
            return logical;
        if (_options.DefaultCustodian is { } configured)
            return new ResourceReference { Type = "Organization", Identifier = new Identifier(configured.IdentifierSystem, configured.IdentifierValue), Display = configured.Name };
        throw new DeliveryFailedException("The document has no custodian with an identifier and none is configured (Delivery:SharedRecord:DefaultCustodian).", transient: false);
    }

    /// <summary>The national structure id (IdNatStruct) when present, else the FINESS, else the first identifier.</summary>
    private static Identifier? OrganizationIdentifier(Organization organization)
    {
        var withValue = organization.Identifier.Where(i => i.System is not null && i.Value is not null).ToList();
        var chosen = withValue.FirstOrDefault(i => i.System == "urn:oid:1.2.250.1.71.4.2.2")
            ?? withValue.FirstOrDefault(i => i.System == "http://finess.sante.gouv.fr") ?? withValue.FirstOrDefault();
        return chosen is null ? null : new Identifier(chosen.System, chosen.Value);
    }

    /// <summary>
    /// relatesTo <c>replaces</c>, pointing at the replaced document by its uniqueId as MHD expects (the shared record
    /// does not know our ids): the relation's own identifier, else the masterIdentifier of the replaced document provided.
    /// </summary>
    private static IEnumerable<DocumentReference.RelatesToComponent> Replacements(OutboundDocument outbound)
    {
        foreach (var relation in outbound.Document.RelatesTo.Where(r => r.Code == DocumentRelationshipType.Replaces))
        {
            var target = relation.Target;
            string uniqueId;
            if (target?.Identifier?.Value is { Length: > 0 } value)
                uniqueId = value;
            else if (ContainedAuthors.LocalKey(target?.Reference) is { } key && key.StartsWith("DocumentReference/", StringComparison.Ordinal)
                     && outbound.Replaced?.FirstOrDefault(d => $"DocumentReference/{d.Id}" == key) is { } replaced)
                uniqueId = DocumentUniqueIds.UniqueId(replaced);
            else
                throw new DeliveryFailedException(
                    $"The replaced document ({target?.Reference ?? "no reference"}) was not provided: its uniqueId is needed to replace it in the shared record.", transient: false);
            yield return new DocumentReference.RelatesToComponent
            {
                Code = DocumentRelationshipType.Replaces,
                Target = new ResourceReference { Type = "DocumentReference", Identifier = new Identifier(Codes.Rfc3986, uniqueId) },
            };
        }
    }

    private List SubmissionSet(OutboundDocument outbound, string uniqueId, string fullUrl, string documentUrl, DocumentReference document, DateTimeOffset now)
    {
        var authors = new ContainedAuthors(outbound.Authors);
        // The submission's author: the person's role when there is one (PDSm: PractitionerRole), else the first author.
        var source = outbound.Authors.FirstOrDefault(a => a is PractitionerRole) ?? outbound.Authors.FirstOrDefault(a => a is Practitioner)
            ?? outbound.Authors.FirstOrDefault();
        var list = new List
        {
            Meta = new Meta { Profile = [Codes.PdsmSubmissionSetProfile] },
            Text = new Narrative
            {
                Status = Narrative.NarrativeStatus.Generated,
                Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Lot de soumission d'un document.</p></div>",
            },
            Extension =
            [
                new Extension(Codes.DesignationTypeExtension, (CodeableConcept)document.Context!.FacilityType!.DeepCopy()),
                new Extension(Codes.SourceIdExtension, new Identifier(Codes.Rfc3986, "urn:oid:" + _options.SourceOid)),
            ],
            Identifier =
            [
                new Identifier(Codes.Rfc3986, DocumentUniqueIds.SubmissionSetUniqueId(uniqueId)) { Use = Identifier.IdentifierUse.Usual },
                new Identifier(Codes.Rfc3986, fullUrl) { Use = Identifier.IdentifierUse.Official },
            ],
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Code = new CodeableConcept(Codes.MhdListTypes, "submissionset", "SubmissionSet as a FHIR List"),
            Subject = new ResourceReference("#" + PatientContainedId),
            DateElement = new FhirDateTime(now),
            Entry = [new List.EntryComponent { Item = new ResourceReference(documentUrl) }],
        };
        list.Source = source is null
            ? document.Author.Select(ContainedAuthors.Logical).FirstOrDefault(r => r is not null)
            : authors.Reference(source);
        list.Contained.AddRange(authors.Contained);
        list.Contained.Add(SourcePatient(outbound.Patient));
        return list;
    }

    private static ResourceReference PatientByIns(Identifier ins) =>
        new() { Type = "Patient", Identifier = new Identifier(ins.System, ins.Value) };

    /// <summary>The patient as known at publication (XDS sourcePatientInfo): identity only, none of our references.</summary>
    private static Patient SourcePatient(Patient patient) => new()
    {
        Id = PatientContainedId,
        Meta = ContainedAuthors.WithoutVersion(patient.Meta),
        Extension = patient.Extension.Select(e => (Extension)e.DeepCopy()).ToList(),
        Identifier = patient.Identifier.Select(i => (Identifier)i.DeepCopy()).ToList(),
        Name = patient.Name.Select(n => (HumanName)n.DeepCopy()).ToList(),
        Gender = patient.Gender,
        BirthDateElement = (Date?)patient.BirthDateElement?.DeepCopy(),
        Address = patient.Address.Select(a => (Address)a.DeepCopy()).ToList(),
    };

    private static CodeableConcept Concept(CodeOption option) => new() { Coding = [option.ToCoding()] };
}
