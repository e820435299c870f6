using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>A professional who can receive a document by secure messaging.</summary>
/// <param name="Reference">The PractitionerRole or Practitioner the patient's record points to.</param>
/// <param name="Practitioner">The person behind it (Practitioner/…), to recognise the document's author.</param>
public sealed record Recipient(string Reference, string? Practitioner, string Address);

/// <summary>
/// Finds the secure-messaging addresses of a patient's médecin traitant and care-team members: telecom
/// entries of system email that carry the MSSANTE email type (as in the ANS Annuaire) or sit in a
/// <c>.mssante.fr</c> domain, on the PractitionerRole first, else on its Practitioner.
/// </summary>
public sealed class RecipientResolver(IResourceStore store, SearchQueryParser parser)
{
    private const string EmailTypeExtension = "https://fhircoord.example/fhir/StructureDefinition/fhircoord-contactpoint-email-type";

    public async Task<IReadOnlyList<Recipient>> ResolveAsync(Patient patient, IEnumerable<RecipientKind> kinds, CancellationToken ct)
    {
        var references = new List<string>();
        foreach (var kind in kinds.Distinct())
        {
            references.AddRange(kind switch
            {
                RecipientKind.GeneralPractitioner => patient.GeneralPractitioner.Select(r => r.Reference).OfType<string>(),
                _ => await CareTeamMembersAsync(patient.Id!, ct),
            });
        }

        var recipients = new List<Recipient>();
        foreach (var reference in references.Distinct(StringComparer.Ordinal))
        {
            if (await ResolveOneAsync(reference, ct) is { } recipient && recipients.All(r => r.Address != recipient.Address))
            {
                recipients.Add(recipient);
            }
        }

        return recipients;
    }

    private async Task<IEnumerable<string>> CareTeamMembersAsync(string patientId, CancellationToken ct)
    {
        var query = parser.Parse("CareTeam", [new("subject", $"Patient/{patientId}"), new("status", "active")], strict: true);
        var teams = await store.SearchAsync(query, 100, ct);
        return teams.Select(t => (CareTeam)ResourceJson.Parse(t.Json!))
            .SelectMany(t => t.Participant.Select(p => p.Member?.Reference).OfType<string>());
    }

    private async Task<Recipient?> ResolveOneAsync(string reference, CancellationToken ct)
    {
        switch (await store.ReadReferenceAsync<Resource>(reference, ct))
        {
            case PractitionerRole role:
                var person = role.Practitioner?.Reference;
                var address = Mailbox(role.Telecom) ?? (person is null ? null : Mailbox((await store.ReadReferenceAsync<Practitioner>(person, ct))?.Telecom ?? []));
                return address is null ? null : new Recipient(reference, person, address);
            case Practitioner practitioner:
                return Mailbox(practitioner.Telecom) is { } own ? new Recipient(reference, reference, own) : null;
            default:
                return null;
        }
    }

    private static string? Mailbox(IEnumerable<ContactPoint> telecom) => telecom.FirstOrDefault(t =>
        t.System == ContactPoint.ContactPointSystem.Email && !string.IsNullOrEmpty(t.Value)
        && (t.Extension.Any(e => e.Url == EmailTypeExtension && e.Value is Coding { Code: "MSSANTE" })
            || t.Value.EndsWith(".mssante.fr", StringComparison.OrdinalIgnoreCase)))?.Value;
}
