using Hl7.Fhir.Model;

/// <summary>
/// Deterministic coordination data: Patients with an INS (NIR), Practitioners with an RPPS number, CareTeams,
/// CarePlans and ServiceRequests referring to them, in the proportions 40/5/15/25/15 %.
/// </summary>
internal sealed class Generator(int total)
{
    public const string InsSystem = "urn:oid:1.2.250.1.213.1.4.8";
    public const string RppsSystem = "urn:oid:1.2.250.1.71.4.2.1";

    public static readonly string[] Families =
    [
        "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon", "Michel",
        "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
        "Rousseau", "Vincent", "Muller", "Lefevre", "Faure", "Andre", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier", "Chevalier",
        "Francois", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clement", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
        "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
        "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard",
        "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine",
        "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland",
    ];

    private static readonly string[] Given = ["Camille", "Léa", "Manon", "Chloé", "Louise", "Emma", "Hugo", "Lucas", "Gabriel", "Jules", "Louis", "Arthur", "Éloïse", "Zoé"];

    public int Patients { get; } = total * 40 / 100;

    public int Practitioners { get; } = total * 5 / 100;

    public int CareTeams { get; } = total * 15 / 100;

    public int CarePlans { get; } = total * 25 / 100;

    public int ServiceRequests { get; } = total - (total * 40 / 100) - (total * 5 / 100) - (total * 15 / 100) - (total * 25 / 100);

    public string PatientId(int i) => "pat-" + i;

    public string Nir(int i) => (1_000_000_000_000_00L + (i * 7919L % 899_999_999_999_99L)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Resource Patient(int i) => new Patient
    {
        Id = PatientId(i),
        Identifier = [new Identifier(InsSystem, Nir(i)) { Use = Identifier.IdentifierUse.Official }, new Identifier("urn:oid:1.2.250.1.71.4.2.7.1", "IPP" + i)],
        Name = [new HumanName { Use = HumanName.NameUse.Official, Family = Families[i % Families.Length], Given = [Given[i % Given.Length]] }],
        Gender = i % 2 == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
        BirthDate = $"{1930 + (i % 90)}-{1 + (i % 12):00}-{1 + (i % 28):00}",
        Address = [new Address { City = "Lyon", PostalCode = $"690{i % 10:00}", Country = "FR" }],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, $"+3360000{i % 10000:0000}")],
    };

    public Resource Practitioner(int i) => new Practitioner
    {
        Id = "pra-" + i,
        Identifier = [new Identifier(RppsSystem, "810" + i.ToString("00000000", System.Globalization.CultureInfo.InvariantCulture))],
        Name = [new HumanName { Family = Families[(i * 7) % Families.Length], Given = [Given[i % Given.Length]], Prefix = ["Dr"] }],
        Active = true,
    };

    public Resource CareTeam(int i) => new CareTeam
    {
        Id = "ct-" + i,
        Status = Hl7.Fhir.Model.CareTeam.CareTeamStatus.Active,
        Subject = new ResourceReference("Patient/" + PatientId(i % Patients)),
        Participant = [new CareTeam.ParticipantComponent { Member = new ResourceReference("Practitioner/pra-" + (i % Practitioners)) }],
        Period = new Period { Start = $"2025-{1 + (i % 12):00}-01" },
    };

    public Resource CarePlan(int i) => new CarePlan
    {
        Id = "cp-" + i,
        Status = i % 5 == 0 ? RequestStatus.Draft : RequestStatus.Active,
        Intent = Hl7.Fhir.Model.CarePlan.CarePlanIntent.Plan,
        Category = [new CodeableConcept("https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category", "pps")],
        Subject = new ResourceReference("Patient/" + PatientId(i % Patients)),
        Author = new ResourceReference("Practitioner/pra-" + (i % Practitioners)),
        CareTeam = [new ResourceReference("CareTeam/ct-" + (i % CareTeams))],
        Period = new Period { Start = $"2025-{1 + (i % 12):00}-{1 + (i % 28):00}", End = "2026-12-31" },
        Created = $"2025-{1 + (i % 12):00}-{1 + (i % 28):00}",
    };

    public Resource ServiceRequest(int i) => new ServiceRequest
    {
        Id = "sr-" + i,
        Status = RequestStatus.Active,
        Intent = RequestIntent.Order,
        Code = new CodeableConcept("http://snomed.info/sct", (306206005 + (i % 50)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Subject = new ResourceReference("Patient/" + PatientId(i % Patients)),
        Requester = new ResourceReference("Practitioner/pra-" + (i % Practitioners)),
        AuthoredOn = $"2025-{1 + (i % 12):00}-{1 + (i % 28):00}",
    };
}
