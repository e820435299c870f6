using FhirCoordGateway.Validation.Engine;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Rules;

/// <summary>
/// French identifier rules FHIRPath cannot express (shared/DOMAIN.md §3.1–3.2):
/// NIR/NIA key, INS carried only by a qualified identity (status QUAL), INS system ↔ type ↔ use, RPPS format.
/// </summary>
/// <remarks>
/// FR Core's fr-core-1/2 test status 'VALI' while the profile text says only a qualified identity may carry the INS;
/// we enforce QUAL here. The same OID 1.2.250.1.213.1.4.8 also carries the billing NIR (NSS, type v2-0203#NH), which
/// gets the key check but none of the INS rules.
/// </remarks>
internal static class FrenchIdentifierRules
{
    public const string RppsSystem = "https://rpps.esante.gouv.fr";
    /// <summary>FR Core's url; our own profile (fhircoord-identity-reliability) uses the same shape and suffix.</summary>
    public const string IdentityReliabilitySuffix = "identity-reliability";

    private sealed record InsKind(string Type, string[] Uses, bool IsNia);

    private static readonly Dictionary<string, InsKind> InsSystems = new(StringComparer.Ordinal)
    {
        ["urn:oid:1.2.250.1.213.1.4.8"] = new("INS-NIR", ["official", "old"], false),
        ["urn:oid:1.2.250.1.213.1.4.9"] = new("INS-NIA", ["temp"], true),
        ["urn:oid:1.2.250.1.213.1.4.10"] = new("INS-NIR-TEST", ["official", "old"], false),
        ["urn:oid:1.2.250.1.213.1.4.11"] = new("INS-NIR-DEMO", ["official", "old"], false),
    };

    /// <summary>
    /// Checks the identifiers of a resource (<c>identifier</c> element) at <paramref name="path"/>. Runs after the
    /// profile walk: where a profile already reported an error at the same expression (its own FHIRPath version of
    /// the rule, a pattern on use or type), the C# rule does not report the same finding again.
    /// </summary>
    public static void Check(Resource resource, string path, IssueSink sink)
    {
        var issues = new OnceSink(sink);
        var identifiers = resource switch
        {
            Patient p => p.Identifier,
            Practitioner p => p.Identifier,
            PractitionerRole r => r.Identifier,
            _ => null,
        };
        if (identifiers is null) return;

        bool hasIns = false;
        int firstIns = -1;
        for (int i = 0; i < identifiers.Count; i++)
        {
            var id = identifiers[i];
            var at = $"{path}.identifier[{i}]";
            if (id.System == RppsSystem) CheckRpps(id, at, issues);
            if (id.System is null || !InsSystems.TryGetValue(id.System, out var kind)) continue;

            bool isNss = HasTypeCode(id, "NH");
            if (id.Value is { } value && NirKeyError(value) is { } keyError)
                issues.Error(OperationOutcome.IssueType.Value, at + ".value", keyError, "fr-nir-key");
            if (isNss || resource is not Patient) continue;

            hasIns = true;
            if (firstIns < 0) firstIns = i;
            if (!HasTypeCode(id, kind.Type))
                issues.Error(OperationOutcome.IssueType.Value, at + ".type",
                    $"an identifier with system {id.System} must have type {kind.Type}", "fr-ins-type");
            var use = id.Use is { } u ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(u) : null;
            if (use is null || !kind.Uses.Contains(use))
                issues.Error(OperationOutcome.IssueType.Value, at + ".use",
                    $"an identifier with system {id.System} must have use {string.Join(" or ", kind.Uses)} (found {use ?? "none"})", "fr-ins-use");
        }

        if (hasIns && resource is Patient patient && IdentityStatus(patient) is var status && status != "QUAL")
            issues.Error(OperationOutcome.IssueType.BusinessRule, path,
                $"an INS may only be carried by a qualified identity (identityStatus QUAL, found {status ?? "none"})", "fr-ins-qual");
    }

    private static bool HasTypeCode(Identifier id, string code) => id.Type?.Coding.Any(c => c.Code == code) == true;

    private static string? IdentityStatus(Patient patient) =>
        patient.Extension.Where(e => e.Url?.EndsWith(IdentityReliabilitySuffix, StringComparison.Ordinal) == true)
            .SelectMany(e => e.Extension).Where(e => e.Url == "identityStatus")
            .Select(e => e.Value switch { Coding c => c.Code, CodeableConcept cc => cc.Coding.FirstOrDefault()?.Code, Code c => c.Value, _ => null })
            .FirstOrDefault(c => c is not null);

    /// <summary>
    /// NIR/NIA: 15 characters, 13 digits (Corsica 2A/2B) then a 2-digit key = 97 − (number mod 97), with 2A read as
    /// 19 and 2B as 18. Returns an error message, or null when the value is valid.
    /// </summary>
    internal static string? NirKeyError(string value)
    {
        if (value.Length != 15) return $"NIR/NIA must have 15 characters (found {value.Length})";
        var body = value[..13].ToUpperInvariant();
        if (body.Substring(5, 2) is "2A") body = body[..5] + "19" + body[7..];
        else if (body.Substring(5, 2) is "2B") body = body[..5] + "18" + body[7..];
        if (!body.All(char.IsAsciiDigit) || !value[13..].All(char.IsAsciiDigit))
            return "NIR/NIA must be 13 digits (department 2A/2B allowed) followed by a 2-digit key";
        long number = long.Parse(body);
        int expected = (int)(97 - number % 97);
        int key = int.Parse(value[13..]);
        return key == expected ? null : $"NIR/NIA key {value[13..]} is wrong (expected {expected:00})";
    }

    /// <summary>Drops a finding when an error is already reported at its expression.</summary>
    private sealed class OnceSink(IssueSink sink)
    {
        public void Error(OperationOutcome.IssueType code, string expression, string message, string key)
        {
            if (!sink.HasErrorAt(expression)) sink.Error(code, expression, message, key);
        }

        public void Warning(OperationOutcome.IssueType code, string expression, string message, string key)
        {
            if (!sink.HasErrorAt(expression)) sink.Warning(code, expression, message, key);
        }
    }

    private static void CheckRpps(Identifier id, string at, OnceSink issues)
    {
        var value = id.Value ?? "";
        if (value.Length != 11 || !value.All(char.IsAsciiDigit))
        {
            issues.Error(OperationOutcome.IssueType.Value, at + ".value", "an RPPS number must have exactly 11 digits", "fr-rpps-format");
            return;
        }
        if (!LuhnValid(value))
            issues.Warning(OperationOutcome.IssueType.Value, at + ".value", "RPPS number fails the Luhn check digit", "fr-rpps-luhn");
    }

    internal static bool LuhnValid(string digits)
    {
        int sum = 0;
        bool dbl = false;
        for (int i = digits.Length - 1; i >= 0; i--)
        {
            int d = digits[i] - '0';
            if (dbl) { d *= 2; if (d > 9) d -= 9; }
            sum += d;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }
}
