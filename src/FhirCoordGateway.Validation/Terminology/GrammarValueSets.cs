using System.Text.RegularExpressions;

namespace FhirCoordGateway.Validation.Terminology;

/// <summary>
/// ValueSets over grammar-based code systems that cannot be enumerated: MIME types (urn:ietf:bcp:13) and languages
/// (urn:ietf:bcp:47). Their codes are checked against the grammar, as HL7's Java validator does, instead of being
/// reported as "cannot check" on every attachment.
/// </summary>
internal static partial class GrammarValueSets
{
    private const string MimeTypes = "http://hl7.org/fhir/ValueSet/mimetypes";
    private const string AllLanguages = "http://hl7.org/fhir/ValueSet/all-languages";

    // RFC 6838 type/subtype with optional parameters.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[^;]+)*$")]
    private static partial Regex MimeType();

    // BCP 47 language tag (simplified: language, then subtags).
    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguageTag();

    public static (CodeCheck, string?)? Check(string valueSet, string? system, string code)
    {
        int bar = valueSet.IndexOf('|');
        var url = bar < 0 ? valueSet : valueSet[..bar];
        if (url == MimeTypes && system is null or "urn:ietf:bcp:13")
            return MimeType().IsMatch(code) ? (CodeCheck.Valid, null) : (CodeCheck.Invalid, $"'{code}' is not a MIME type");
        if (url == AllLanguages && system is null or "urn:ietf:bcp:47")
            return LanguageTag().IsMatch(code) ? (CodeCheck.Valid, null) : (CodeCheck.Invalid, $"'{code}' is not a BCP-47 language tag");
        return null;
    }
}
