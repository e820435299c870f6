using FhirCoordGateway.Core.Workflows;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>A patient with a médecin traitant, a care circle and a PPS draft, written through FhirClient.</summary>
public sealed record PpsCase(Patient Patient, string MtRole, string MtPractitioner, string OtherRole, string CareTeam, CarePlan Plan);

public static class WorkflowData
{
    /// <summary>A practitioner and their PractitionerRole with an MSSanté mailbox; returns the role's reference.</summary>
    public static async Task<string> RoleAsync(FhirClient fhir, string mailbox)
    {
        var practitioner = await fhir.CreateAsync(new Practitioner { Name = [new HumanName { Family = TestData.Unique("Dr"), Given = ["Alix"] }] });
        var role = await fhir.CreateAsync(new PractitionerRole
        {
            Practitioner = new ResourceReference($"Practitioner/{practitioner!.Id}"),
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, mailbox)],
        });
        return $"PractitionerRole/{role!.Id}";
    }

    public static async Task<PpsCase> PpsAsync(FhirClient fhir, string revisionDate = "2027-05-01")
    {
        var mt = await RoleAsync(fhir, $"{TestData.Unique("mt")}@medecin.mssante.fr");
        var other = await RoleAsync(fhir, $"{TestData.Unique("ide")}@infirmier.mssante.fr");
        var mtPractitioner = (await fhir.ReadAsync<PractitionerRole>(mt))!.Practitioner.Reference;
        var patient = TestData.Patient();
        patient.GeneralPractitioner = [new ResourceReference(mt)];
        patient = (await fhir.CreateAsync(patient))!;
        var team = await fhir.CreateAsync(new CareTeam
        {
            Status = CareTeam.CareTeamStatus.Active,
            Identifier = [new Identifier("urn:test:care-circle", TestData.Unique("cc"))],
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Participant =
            [
                new CareTeam.ParticipantComponent
                {
                    Role = [new CodeableConcept(MtValidationHandler.PcpSystem, "PCP")],
                    Member = new ResourceReference(mt),
                    Period = new Period { Start = "2025-01-01" },
                },
                new CareTeam.ParticipantComponent { Member = new ResourceReference(other), Period = new Period { Start = "2025-01-01" } },
            ],
        });
        var plan = await fhir.CreateAsync(Plan(patient.Id, mt, $"CareTeam/{team!.Id}", revisionDate));
        return new PpsCase(patient, mt, mtPractitioner, other, $"CareTeam/{team.Id}", plan!);
    }

    public static CarePlan Plan(string patientId, string author, string careTeam, string revisionDate) => new()
    {
        Extension = [new Extension(PpsPlan.RevisionDateUrl, new Date(revisionDate))],
        Status = RequestStatus.Draft,
        Intent = CarePlan.CarePlanIntent.Plan,
        Category = [new CodeableConcept(PpsPlan.CategorySystem, "pps")],
        Title = "PPS e2e",
        Subject = new ResourceReference($"Patient/{patientId}"),
        Created = "2026-11-01",
        Author = new ResourceReference(author),
        CareTeam = [new ResourceReference(careTeam)],
        Activity = [new CarePlan.ActivityComponent { Detail = new CarePlan.DetailComponent { Status = CarePlan.CarePlanActivityStatus.Scheduled, Description = "Passage IDE 3x/semaine" } }],
    };

    public static Parameters Validator(string reference) => new() { Parameter = [new() { Name = "validator", Value = new ResourceReference(reference) }] };

    /// <summary>A FhirClient acting as <paramref name="fhirUser"/> (the token's fhirUser claim), with full access.</summary>
    public static FhirClient As(GatewayFactory gateway, string? fhirUser) => gateway.FhirWith(TokenOf(fhirUser));

    public static string TokenOf(string? fhirUser) =>
        TestTokens.Token(new Api.Security.TokenRequest(TestTokens.FullAccess, ClientId: "e2e-client") { FhirUser = fhirUser });

    /// <summary>The validation as the validator themself (security on: the validator must be the caller).</summary>
    public static async Task<CarePlan> ValidateAsync(GatewayFactory gateway, string planId, string validator) =>
        (CarePlan)(await As(gateway, validator).InstanceOperationAsync(new Uri($"CarePlan/{planId}", UriKind.Relative), "validate-by-mt", Validator(validator)))!;
}
