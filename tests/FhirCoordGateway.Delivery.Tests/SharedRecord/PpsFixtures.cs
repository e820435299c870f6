using FhirCoordGateway.Delivery.SharedRecord;
using Hl7.Fhir.Model;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

/// <summary>Jeanne LEFEBVRE's PPS (profiles/examples), as versions of a stored CarePlan, and what it points to.</summary>
internal static class PpsFixtures
{
    public static CarePlan Plan(string version, Action<CarePlan>? change = null)
    {
        var plan = Example<CarePlan>("fhircoord-careplan-pps", "valid-lefebvre-validated.json");
        plan.Meta.VersionId = version;
        plan.Meta.LastUpdated = new DateTimeOffset(2026, 10, 2, 16, 0, 0, TimeSpan.Zero).AddDays(int.Parse(version, System.Globalization.CultureInfo.InvariantCulture));
        change?.Invoke(plan);
        return plan;
    }

    public static Organization Cabinet() => Example<Organization>("fhircoord-organization", "valid-cabinet-siret-idnst.json");

    public static List<Resource> Related() =>
    [
        Example<PractitionerRole>("fhircoord-practitionerrole", "valid-mt-bernard-mssante.json"),
        Example<Practitioner>("fhircoord-practitioner", "valid-bernard-rpps-idnps.json"),
        Cabinet(),
        Example<CareTeam>("fhircoord-careteam-care-circle", "valid-lefebvre-circle.json"),
        new Goal
        {
            Id = "goal-lefebvre-autonomie",
            Description = new CodeableConcept { Text = "Rester à domicile en autonomie" },
            Target = [new Goal.TargetComponent { Due = new Date("2027-04-02") }],
        },
    ];

    public static PpsRenderRequest Request(CarePlan plan, DocumentReference? previous = null) =>
        new(plan, Lefebvre(), Related(), Cabinet(), previous);

    public static PpsDocumentRenderer Renderer() => new(Microsoft.Extensions.Options.Options.Create(Options()));

    /// <summary>The rendered document as the gateway stores it (id and version assigned), ready for the connector.</summary>
    public static OutboundDocument Stored(DocumentReference rendered, string id)
    {
        rendered.Id = id;
        rendered.Meta.VersionId = "1";
        var attachment = rendered.Content[0].Attachment;
        return new OutboundDocument(rendered, attachment.Data, attachment.ContentType, Lefebvre(),
            Related().Where(r => r is PractitionerRole or Practitioner or Organization).ToList(), Cabinet());
    }
}
