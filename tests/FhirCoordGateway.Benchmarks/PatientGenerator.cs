using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FhirCoordGateway.Benchmarks;

/// <summary>
/// Realistic French Patients (about 2 KB of compact FHIR JSON) conforming to the project's own
/// <c>fhircoord-patient-ins</c> profile (profiles/README.md), which they claim in <c>meta.profile</c> unless
/// <c>profile</c> is false: qualified INS-NIR with a valid key, IPP, official (birth) name with the list of birth
/// given names, usual name, gender, birth date and birth place with its INSEE code, address with its INSEE code,
/// telecom, médecin traitant, identity reliability, a short narrative. Patient <c>n</c> always gets the same
/// identity, and two different <c>n</c> (below 24 million) never share an INS-NIR or IPP.
/// </summary>
public sealed class PatientGenerator(int seed, bool profile = true)
{
    /// <summary>Canonical base of the project's conformance resources (profiles/README.md).</summary>
    public const string Canonical = "https://fhircoord.example/fhir";
    public const string PatientProfile = Canonical + "/StructureDefinition/fhircoord-patient-ins";
    public const string InsNirSystem = "urn:oid:1.2.250.1.213.1.4.8";
    public const string IppSystem = Canonical + "/sid/ipp";

    private static readonly (string City, string Insee, string Postal, string Street)[] Cities =
    [
        ("Paris", "75056", "75011", "rue de la Roquette"),
        ("Lyon", "69123", "69003", "cours Lafayette"),
        ("Marseille", "13055", "13005", "boulevard Baille"),
        ("Toulouse", "31555", "31000", "allées Jean Jaurès"),
        ("Nantes", "44109", "44000", "quai de la Fosse"),
        ("Strasbourg", "67482", "67000", "rue du Faubourg National"),
        ("Lille", "59350", "59000", "rue Solférino"),
        ("Bordeaux", "33063", "33000", "cours de l'Argonne"),
        ("Rennes", "35238", "35000", "boulevard de la Liberté"),
        ("Montpellier", "34172", "34000", "avenue de Toulouse"),
    ];

    private static readonly string[] Families =
        ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Fournier"];

    private static readonly string[] MaleGiven = ["Jean", "Pierre", "Michel", "André", "Philippe", "Louis", "Nicolas", "François", "Éric", "Julien"];
    private static readonly string[] FemaleGiven = ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Anne", "Élodie", "Camille", "Léa"];

    /// <summary>The JSON body of patient <paramref name="n"/>; with an <paramref name="id"/> for an update, and
    /// <paramref name="revision"/> &gt; 0 changing the contact details (a changed copy).</summary>
    public byte[] Build(long n, string? id = null, int revision = 0)
    {
        var rng = new Random(HashCode.Combine(seed, n));
        var identity = Identity(n, rng);
        var birthCity = Cities[(int)((n / 999 / 12 / 100) % Cities.Length)];
        var home = Cities[rng.Next(Cities.Length)];
        var female = identity.Sex == 2;
        var given = female ? FemaleGiven : MaleGiven;
        var givenNames = new[] { given[rng.Next(given.Length)], given[rng.Next(given.Length)], given[rng.Next(given.Length)] }.Distinct().ToArray();
        var birthFamily = Families[rng.Next(Families.Length)].ToUpperInvariant();
        var usualFamily = female && rng.Next(2) == 0 ? Families[rng.Next(Families.Length)].ToUpperInvariant() : birthFamily;
        var houseNumber = 1 + ((rng.Next(200) + revision) % 250);
        var phone = $"+336{(rng.Next(10_000_000, 99_999_999) + revision) % 100_000_000:D8}";
        var gp = $"prr-mt-{rng.Next(1, 500):D4}";
        var checkedOn = $"20{rng.Next(19, 26)}-{rng.Next(1, 13):D2}-{rng.Next(1, 29):D2}";

        using var buffer = new MemoryStream(2600);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Patient");
            if (id is not null)
            {
                w.WriteString("id", id);
            }

            if (profile)
            {
                w.WriteStartObject("meta");
                w.WriteStartArray("profile");
                w.WriteStringValue(PatientProfile);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteStartObject("text");
            w.WriteString("status", "generated");
            w.WriteString("div", $"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{givenNames[0]} {usualFamily}, né{(female ? "e" : "")} le {identity.BirthDate} à {birthCity.City}, identité qualifiée, INS-NIR.</p></div>");
            w.WriteEndObject();

            w.WriteStartArray("extension");
            w.WriteStartObject();
            w.WriteString("url", "http://hl7.org/fhir/StructureDefinition/patient-birthPlace");
            w.WriteStartObject("valueAddress");
            InseeExtension(w, birthCity.Insee);
            w.WriteString("city", birthCity.City);
            w.WriteString("country", "FRA");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("url", Canonical + "/StructureDefinition/fhircoord-identity-reliability");
            w.WriteStartArray("extension");
            SubCoding(w, "identityStatus", "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status", "QUAL");
            SubDate(w, "dateInterrogationINSi", checkedOn);
            SubCoding(w, "validationMode", "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity", "CN");
            SubDate(w, "validationDate", checkedOn);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();

            w.WriteStartArray("identifier");
            w.WriteStartObject();
            w.WriteString("use", "official");
            TypeCoding(w, "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "INS-NIR");
            w.WriteString("system", InsNirSystem);
            w.WriteString("value", identity.Nir);
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("use", "usual");
            TypeCoding(w, "http://terminology.hl7.org/CodeSystem/v2-0203", "PI");
            w.WriteString("system", IppSystem);
            w.WriteString("value", Ipp(n));
            w.WriteStartObject("assigner");
            w.WriteString("display", "Centre hospitalier de démonstration");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();

            w.WriteBoolean("active", true);
            w.WriteStartArray("name");
            w.WriteStartObject();
            w.WriteStartArray("extension");
            w.WriteStartObject();
            w.WriteString("url", Canonical + "/StructureDefinition/fhircoord-birth-list-given-name");
            w.WriteString("valueString", string.Join(' ', givenNames));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("use", "official");
            w.WriteString("family", birthFamily);
            w.WriteStartArray("given");
            w.WriteStringValue(givenNames[0]);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("use", "usual");
            w.WriteString("family", usualFamily);
            w.WriteStartArray("given");
            w.WriteStringValue(givenNames[0]);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();

            w.WriteStartArray("telecom");
            Telecom(w, "phone", phone, "mobile", 1);
            Telecom(w, "email", $"{Ascii(givenNames[0])}.{Ascii(usualFamily)}{n % 1000}@exemple.fr".ToLowerInvariant(), "home", 2);
            w.WriteEndArray();

            w.WriteString("gender", female ? "female" : "male");
            w.WriteString("birthDate", identity.BirthDate);
            w.WriteStartArray("address");
            w.WriteStartObject();
            InseeExtension(w, home.Insee);
            w.WriteString("use", "home");
            w.WriteString("type", "physical");
            w.WriteStartArray("line");
            w.WriteStringValue($"{houseNumber} {home.Street}");
            w.WriteStringValue(revision % 2 == 0 ? "Bâtiment B, 3e étage" : "Bâtiment C, 1er étage");
            w.WriteEndArray();
            w.WriteString("city", home.City);
            w.WriteString("postalCode", home.Postal);
            w.WriteString("country", "FRA");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("generalPractitioner");
            w.WriteStartObject();
            w.WriteString("reference", $"PractitionerRole/{gp}");
            w.WriteString("display", $"Dr {Families[rng.Next(Families.Length)].ToUpperInvariant()}");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The (system, value) of the INS-NIR and IPP identifiers of patient <paramref name="n"/>: what the gateway indexes.</summary>
    public (string System, string Value)[] Identifiers(long n) =>
        [(InsNirSystem, Identity(n, new Random(0)).Nir), (IppSystem, Ipp(n))];

    private string Ipp(long n) => (8_000_000_000L + (seed % 1000) * 30_000_000L + n).ToString(CultureInfo.InvariantCulture);

    /// <summary>The 15-character NIR of patient <paramref name="n"/>: sex, year and month of birth, INSEE code of
    /// the birth commune, order number, and key = 97 − (the 13 digits mod 97).</summary>
    public static (int Sex, string Nir, string BirthDate) Identity(long n, Random rng)
    {
        var order = 1 + n % 999;
        var k = n / 999;
        var month = 1 + (int)(k % 12);
        k /= 12;
        var year = 1925 + (int)(k % 100);
        k /= 100;
        var city = Cities[(int)(k % Cities.Length)];
        k /= Cities.Length;
        var sex = 1 + (int)(k % 2);
        var body = $"{sex}{year % 100:D2}{month:D2}{city.Insee}{order:D3}";
        return (sex, body + NirKey(body), $"{year:D4}-{month:D2}-{rng.Next(1, 29):D2}");
    }

    public static string NirKey(string thirteenDigits) =>
        (97 - long.Parse(thirteenDigits, CultureInfo.InvariantCulture) % 97).ToString("D2", CultureInfo.InvariantCulture);

    private static void SubCoding(Utf8JsonWriter w, string url, string system, string code)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteStartObject("valueCoding");
        w.WriteString("system", system);
        w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void SubDate(Utf8JsonWriter w, string url, string date)
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteString("valueDate", date);
        w.WriteEndObject();
    }

    private static void TypeCoding(Utf8JsonWriter w, string system, string code)
    {
        w.WriteStartObject("type");
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void InseeExtension(Utf8JsonWriter w, string insee)
    {
        w.WriteStartArray("extension");
        w.WriteStartObject();
        w.WriteString("url", Canonical + "/StructureDefinition/fhircoord-address-insee-code");
        w.WriteStartObject("valueCoding");
        w.WriteString("system", "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM");
        w.WriteString("code", insee);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void Telecom(Utf8JsonWriter w, string system, string value, string use, int rank)
    {
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("value", value);
        w.WriteString("use", use);
        w.WriteNumber("rank", rank);
        w.WriteEndObject();
    }

    private static string Ascii(string s)
    {
        var decomposed = s.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (c < 128 && char.IsLetter(c))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
