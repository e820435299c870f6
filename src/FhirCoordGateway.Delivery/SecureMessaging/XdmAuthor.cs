using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// One XDS author classification: authorPerson (XCN), authorInstitution (XON), authorRole and authorSpecialty.
/// Each Practitioner makes one author; Organizations and PractitionerRoles among the authors add their
/// institution and specialty to every author (the FHIR references do not say which goes with whom).
/// </summary>
public sealed record XdmAuthor(string? Person, IReadOnlyList<string> Institutions, IReadOnlyList<string> Roles, IReadOnlyList<string> Specialties)
{
    private const string IdNatPsOid = "1.2.250.1.71.4.2.1";
    private const string RppsSystem = "https://rpps.esante.gouv.fr";

    public static IReadOnlyList<XdmAuthor> From(IReadOnlyList<Resource> authors)
    {
        var institutions = authors.OfType<Organization>().Select(InstitutionOf).ToList();
        var roles = authors.OfType<PractitionerRole>().SelectMany(r => r.Code).Select(XdsCode.From).OfType<XdsCode>().Select(ToCe).ToList();
        var specialties = authors.OfType<PractitionerRole>().SelectMany(r => r.Specialty).Select(XdsCode.From).OfType<XdsCode>().Select(ToCe).ToList();
        var persons = authors.OfType<Practitioner>().Select(PersonOf).ToList();
        if (persons.Count == 0)
            return institutions.Count + roles.Count + specialties.Count == 0 ? [] : [new XdmAuthor(null, institutions, roles, specialties)];
        return persons.Select(p => new XdmAuthor(p, institutions, roles, specialties)).ToList();
    }

    /// <summary>XCN with the national health professional id (IdNatPs, <c>8</c> + RPPS) under the CPS OID.</summary>
    private static string PersonOf(Practitioner practitioner)
    {
        var rpps = practitioner.Identifier.FirstOrDefault(i => i.System == RppsSystem)?.Value;
        var idNatPs = practitioner.Identifier.FirstOrDefault(i => i.System == "urn:oid:" + IdNatPsOid)?.Value
            ?? (rpps is null ? null : "8" + rpps);
        var name = practitioner.Name.FirstOrDefault();
        var person = $"{idNatPs}^{name?.Family}^{name?.Given.FirstOrDefault()}";
        return idNatPs is null ? person : person + $"^^^^^^&{IdNatPsOid}&ISO^D^^^IDNPS";
    }

    /// <summary>XON with the organisation's OID-based identifier (e.g. FINESS) when it has one.</summary>
    private static string InstitutionOf(Organization organization)
    {
        var identifier = organization.Identifier.FirstOrDefault(i => i.System?.StartsWith("urn:oid:", StringComparison.Ordinal) == true && !string.IsNullOrEmpty(i.Value));
        return identifier is null
            ? organization.Name ?? ""
            : $"{organization.Name}^^^^^&{identifier.System!["urn:oid:".Length..]}&ISO^IDNST^^^{identifier.Value}";
    }

    private static string ToCe(XdsCode code) => $"{code.Code}^{code.Display}^{code.CodingScheme}";
}
