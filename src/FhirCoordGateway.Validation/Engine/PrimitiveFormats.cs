using System.Text.RegularExpressions;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>
/// Lexical checks of FHIR R4 primitive values, with the regexes of the specification
/// (https://hl7.org/fhir/R4/datatypes.html#primitive). The Strict parser does these too; POCOs built in code or
/// read with a lenient parser are not checked by anyone else.
/// </summary>
internal static partial class PrimitiveFormats
{
    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex Id();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$")]
    private static partial Regex Date();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$")]
    private static partial Regex DateTime();

    [GeneratedRegex(@"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$")]
    private static partial Regex Instant();

    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$")]
    private static partial Regex Time();

    [GeneratedRegex(@"^[^\s]+(\s[^\s]+)*$")]
    private static partial Regex Code();

    [GeneratedRegex(@"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$")]
    private static partial Regex Oid();

    [GeneratedRegex(@"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex Uuid();

    /// <summary>Returns an error message when the value is not valid for the FHIR primitive type, else null.</summary>
    public static string? Check(string fhirType, object value)
    {
        switch (fhirType)
        {
            case "boolean":
                return value is bool ? null : $"'{value}' is not a valid boolean";
            case "integer":
                return value is int ? null : $"'{value}' is not a valid integer";
            case "positiveInt":
                return value is int p && p > 0 ? null : $"'{value}' is not a valid positiveInt (must be > 0)";
            case "unsignedInt":
                return value is int u && u >= 0 ? null : $"'{value}' is not a valid unsignedInt (must be >= 0)";
            case "decimal":
                return value is decimal ? null : $"'{value}' is not a valid decimal";
            case "base64Binary":
                return value is byte[] || value is string b && IsBase64(b) ? null : "value is not valid base64";
        }

        if (value is not string s) return $"'{value}' is not a valid {fhirType}";
        if (s.Length == 0) return $"{fhirType} value must not be empty";
        return fhirType switch
        {
            "id" => Id().IsMatch(s) ? null : $"'{s}' is not a valid id (1-64 of A-Z a-z 0-9 - .)",
            "date" => Date().IsMatch(s) && DayExists(s) ? null : $"'{s}' is not a valid date",
            "dateTime" => DateTime().IsMatch(s) && DayExists(s) ? null : $"'{s}' is not a valid dateTime",
            "instant" => Instant().IsMatch(s) && DayExists(s) ? null : $"'{s}' is not a valid instant",
            "time" => Time().IsMatch(s) ? null : $"'{s}' is not a valid time",
            "code" => Code().IsMatch(s) ? null : $"'{s}' is not a valid code (no leading, trailing or double whitespace)",
            "oid" => Oid().IsMatch(s) ? null : $"'{s}' is not a valid oid",
            "uuid" => Uuid().IsMatch(s) ? null : $"'{s}' is not a valid uuid",
            "uri" or "url" or "canonical" => s.Any(char.IsWhiteSpace) ? $"'{s}' is not a valid {fhirType} (contains whitespace)" : null,
            "string" or "markdown" => string.IsNullOrWhiteSpace(s) ? $"{fhirType} value must contain non-whitespace content" : null,
            _ => null,
        };
    }

    private static bool IsBase64(string s)
    {
        Span<byte> buffer = s.Length <= 4096 ? stackalloc byte[s.Length] : new byte[s.Length];
        return Convert.TryFromBase64String(s.Trim(), buffer, out _);
    }

    // The regexes allow 2021-02-31; a date must exist in the calendar.
    private static bool DayExists(string s)
    {
        if (s.Length < 10) return true;
        return int.TryParse(s.AsSpan(0, 4), out var y) && int.TryParse(s.AsSpan(5, 2), out var m)
            && int.TryParse(s.AsSpan(8, 2), out var d) && y >= 1 && d <= System.DateTime.DaysInMonth(y, m);
    }
}
