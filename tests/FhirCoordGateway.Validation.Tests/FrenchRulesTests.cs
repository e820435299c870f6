using FhirCoordGateway.Validation.Rules;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>NIR/NIA key, INS ⇒ QUAL, INS system ↔ type ↔ use, RPPS format and Luhn (shared/DOMAIN.md §3.1–3.2).</summary>
public class FrenchRulesTests
{
    private const string Nir = "urn:oid:1.2.250.1.213.1.4.8";
    private const string Nia = "urn:oid:1.2.250.1.213.1.4.9";
    private const string InsType = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203";

    [Theory]
    [InlineData("255081416802538", null)]               // DOMAIN.md test vector: 2 55 08 14 168 025 → key 38
    [InlineData("255081416802539", "expected 38")]
    [InlineData("1850299999999", "15 characters")]
    [InlineData("18502A9999999XX", "13 digits")]
    public void GivenNirValue_WhenCheckingKey_ThenOnlyTheRightKeyPasses(string value, string? error)
    {
        var result = FrenchIdentifierRules.NirKeyError(value);
        if (error is null) Assert.Null(result);
        else Assert.Contains(error, result);
    }

    [Fact]
    public void GivenCorsicanNir_WhenCheckingKey_Then2AIsReadAs19()
    {
        // 1 85 02 2A 004 011 → 2A read as 19: 1850219004011 mod 97 → key = 97 − r.
        long n = 1850219004011;
        var value = "185022A004011" + (97 - n % 97).ToString("00");
        Assert.Null(FrenchIdentifierRules.NirKeyError(value));
        Assert.NotNull(FrenchIdentifierRules.NirKeyError("185022B004011" + (97 - n % 97).ToString("00")));
    }

    [Theory]
    [InlineData("10101201234", false)]
    [InlineData("10101201233", true)]
    public void GivenRppsNumber_WhenCheckingLuhn_ThenResultMatchesComputation(string value, bool expected)
    {
        int sum = 0;
        for (int i = 0; i < value.Length; i++)
        {
            int d = value[value.Length - 1 - i] - '0';
            if (i % 2 == 1) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
        }
        Assert.Equal(expected, sum % 10 == 0);
        Assert.Equal(expected, FrenchIdentifierRules.LuhnValid(value));
    }

    private static Patient InsPatient(string system, string value, string type, Identifier.IdentifierUse? use, string? status)
    {
        var p = new Patient
        {
            Id = "ins-3b8c70",
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" },
            Identifier = [new Identifier(system, value) { Use = use, Type = new CodeableConcept(InsType, type) }],
        };
        if (status is not null)
            p.Extension.Add(new Extension("https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability", null!)
            {
                Extension = [new Extension("identityStatus", new Coding("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status", status))],
            });
        return p;
    }

    private static List<string> Errors(Patient p) => TestSupport.Render(TestSupport.CoreValidator.Validate(p))
        .Where(i => i.Contains(" fr-", StringComparison.Ordinal)).ToList();

    [Fact]
    public void GivenQualifiedInsWithRightKeyTypeAndUse_ThenNoFrenchIssue() =>
        Assert.Empty(Errors(InsPatient(Nir, "255081416802538", "INS-NIR", Identifier.IdentifierUse.Official, "QUAL")));

    [Fact]
    public void GivenInsWithWrongKey_ThenKeyError() =>
        Assert.Equal(["error value Patient.identifier[0].value fr-nir-key"],
            Errors(InsPatient(Nir, "255081416802539", "INS-NIR", Identifier.IdentifierUse.Official, "QUAL")));

    [Theory]
    [InlineData("VALI")]
    [InlineData(null)]
    public void GivenInsWithoutQualifiedIdentity_ThenBusinessRuleError(string? status) =>
        Assert.Equal(["error business-rule Patient fr-ins-qual"],
            Errors(InsPatient(Nir, "255081416802538", "INS-NIR", Identifier.IdentifierUse.Official, status)));

    [Fact]
    public void GivenNiaWithOfficialUseAndNirType_ThenTypeAndUseErrors() =>
        Assert.Equal(["error value Patient.identifier[0].type fr-ins-type", "error value Patient.identifier[0].use fr-ins-use"],
            Errors(InsPatient(Nia, "255081416802538", "INS-NIR", Identifier.IdentifierUse.Official, "QUAL")));

    [Fact]
    public void GivenBillingNirTypedNH_ThenOnlyTheKeyIsChecked()
    {
        var p = InsPatient(Nir, "255081416802538", "NH", Identifier.IdentifierUse.Usual, null);
        p.Identifier[0].Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "NH");
        Assert.Empty(Errors(p));
    }

    [Theory]
    [InlineData("1010120123", "error value Practitioner.identifier[0].value fr-rpps-format")]
    [InlineData("1010120123A", "error value Practitioner.identifier[0].value fr-rpps-format")]
    [InlineData("10101201234", "warning value Practitioner.identifier[0].value fr-rpps-luhn")]
    [InlineData("10101201233", null)]
    public void GivenRppsIdentifier_ThenFormatIsAnErrorAndLuhnAWarning(string value, string? issue)
    {
        var practitioner = new Practitioner
        {
            Id = "rpps-0c4a19",
            Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" },
            Identifier = [new Identifier(FrenchIdentifierRules.RppsSystem, value)],
        };
        var issues = TestSupport.Render(TestSupport.CoreValidator.Validate(practitioner)).Where(i => i.Contains(" fr-rpps")).ToList();
        Assert.Equal(issue is null ? [] : [issue], issues);
    }
}
