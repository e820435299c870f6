using FhirCoordGateway.Core.Outcomes;
using Microsoft.Net.Http.Headers;

namespace FhirCoordGateway.Api.Http;

public enum FhirFormat
{
    Json,
    Xml,
}

/// <summary>
/// Content negotiation: <c>_format</c> overrides <c>Accept</c>, JSON by default; request bodies by
/// <c>Content-Type</c>. https://hl7.org/fhir/R4/http.html#mime-type
/// </summary>
public static class FhirFormats
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";

    /// <summary>The format of the response; 406 when neither _format nor Accept names one we produce.</summary>
    public static FhirFormat ForResponse(HttpRequest request)
    {
        if (request.Query.TryGetValue("_format", out var format) && !string.IsNullOrEmpty(format))
        {
            return FromName(format.ToString())
                ?? throw FhirOutcomeException.Of(FailureKind.NotAcceptable, $"_format '{format}' is not supported; use json or xml.", "_format");
        }

        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept))
        {
            return FhirFormat.Json;
        }

        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var ranges))
        {
            throw FhirOutcomeException.Of(FailureKind.NotAcceptable, "The Accept header cannot be read.");
        }

        // Highest quality first; on a tie JSON wins because it is listed first below.
        FhirFormat? best = null;
        double bestQuality = 0;
        foreach (var range in ranges)
        {
            var quality = range.Quality ?? 1.0;
            var candidate = FromMediaRange(range.MediaType.Value ?? string.Empty);
            if (candidate is not null && quality > bestQuality)
            {
                best = candidate;
                bestQuality = quality;
            }
        }

        return best ?? throw FhirOutcomeException.Of(
            FailureKind.NotAcceptable, $"None of the accepted media types can be produced; use {JsonMediaType} or {XmlMediaType}.");
    }

    /// <summary>True when <c>_pretty=true</c>.</summary>
    public static bool Pretty(HttpRequest request) =>
        request.Query.TryGetValue("_pretty", out var pretty) && string.Equals(pretty, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The format of a request body; null when it has no Content-Type (the reader then sniffs it); 415 when unsupported.</summary>
    public static FhirFormat? ForBody(HttpRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.ContentType))
        {
            return null;
        }

        var mediaType = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        return FromBodyMediaType(mediaType ?? string.Empty) ?? throw FhirOutcomeException.Of(
            FailureKind.UnsupportedMediaType, $"Content-Type '{mediaType}' is not supported; use {JsonMediaType} or {XmlMediaType}.");
    }

    public static string MediaType(FhirFormat format) => format == FhirFormat.Json ? JsonMediaType : XmlMediaType;

    private static FhirFormat? FromName(string name) => name.Trim().ToLowerInvariant() switch
    {
        "json" or JsonMediaType or "application/json" => FhirFormat.Json,
        "xml" or XmlMediaType or "application/xml" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };

    private static FhirFormat? FromMediaRange(string range) => range.ToLowerInvariant() switch
    {
        JsonMediaType or "application/json" or "*/*" or "application/*" => FhirFormat.Json,
        XmlMediaType or "application/xml" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };

    private static FhirFormat? FromBodyMediaType(string mediaType) => mediaType.ToLowerInvariant() switch
    {
        JsonMediaType or "application/json" => FhirFormat.Json,
        XmlMediaType or "application/xml" or "text/xml" => FhirFormat.Xml,
        _ => null,
    };
}
