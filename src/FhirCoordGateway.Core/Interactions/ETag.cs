using System.Globalization;
using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>Weak ETags carry the version id: <c>W/"3"</c>. https://hl7.org/fhir/R4/http.html#versioning</summary>
public static class ETag
{
    public static string Of(int version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version named by an If-Match header (<c>W/"3"</c> or <c>"3"</c>), null when absent; 400 when malformed.</summary>
    public static int? ParseIfMatch(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var text = header.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw FhirOutcomeException.Of(FailureKind.Invalid, "If-Match must be a version ETag such as W/\"3\".", "If-Match");
    }
}
