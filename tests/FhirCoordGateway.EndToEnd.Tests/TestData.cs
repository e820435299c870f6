using Hl7.Fhir.Model;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Distinctive test data: every call gives identifiers no other test uses.</summary>
public static class TestData
{
    public const string InsNir = "urn:oid:1.2.250.1.213.1.4.8";
    public const string Ipp = "urn:oid:1.2.250.1.71.4.2.7.999";

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static Patient Patient(string? ipp = null, string family = "Martin-e2e") => new()
    {
        Identifier = [new Identifier(Ipp, ipp ?? Unique("ipp"))],
        Name = [new HumanName { Family = family, Given = ["Camille"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1975-03-14",
    };

    public static string IppOf(Patient p) => p.Identifier.Single(i => i.System == Ipp).Value;
}
