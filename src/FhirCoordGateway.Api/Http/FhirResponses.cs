using System.Globalization;
using System.Text;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Api.Http;

/// <summary>Writes FHIR responses in the negotiated format, with the version headers of http.html.</summary>
public static class FhirResponses
{
    /// <summary>Writes a resource or Bundle built for this response.</summary>
    public static Task WriteAsync(HttpContext context, int status, Resource resource)
    {
        var format = FhirFormats.ForResponse(context.Request);
        var pretty = FhirFormats.Pretty(context.Request);
        var text = format == FhirFormat.Json
            ? FhirJsonSerializer.Default.SerializeToString(resource, pretty)
            : new FhirXmlSerializer().SerializeToString(resource, pretty);
        return WriteTextAsync(context, status, format, text);
    }

    /// <summary>
    /// Writes a stored version. Compact JSON goes out exactly as stored, without parsing: the store holds
    /// what we serve. XML and pretty JSON go through the SDK.
    /// </summary>
    public static Task WriteStoredAsync(HttpContext context, int status, StoredResource stored)
    {
        AddVersionHeaders(context, stored);
        var format = FhirFormats.ForResponse(context.Request);
        if (format == FhirFormat.Json && !FhirFormats.Pretty(context.Request))
        {
            return WriteTextAsync(context, status, format, stored.Json!);
        }

        return WriteAsync(context, status, ResourceJson.Parse(stored.Json!));
    }

    /// <summary>
    /// Answers a create or update as <c>Prefer: return=</c> asks: the resource (default), nothing, or an
    /// OperationOutcome carrying the validation warnings. https://hl7.org/fhir/R4/http.html#ops
    /// </summary>
    public static Task WriteWriteResultAsync(HttpContext context, WriteResult result, string baseUrl)
    {
        var status = result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        var stored = result.Stored;
        var versioned = $"{baseUrl}/{stored.ResourceType}/{stored.Id}/_history/{stored.Version}";
        context.Response.Headers.Location = versioned;
        context.Response.Headers.ContentLocation = versioned;
        switch (PreferReturn(context.Request))
        {
            case "minimal":
                AddVersionHeaders(context, stored);
                context.Response.StatusCode = status;
                return Task.CompletedTask;
            case "OperationOutcome":
                AddVersionHeaders(context, stored);
                var outcome = result.Warnings.Issue.Count > 0
                    ? result.Warnings
                    : Core.Outcomes.Outcomes.Information(result.Existing
                        ? $"{stored.ResourceType}/{stored.Id} already matches the conditions; nothing was created."
                        : $"{stored.ResourceType}/{stored.Id} version {stored.Version} stored.");
                return WriteAsync(context, status, outcome);
            default:
                return WriteStoredAsync(context, status, stored);
        }
    }

    public static void AddVersionHeaders(HttpContext context, StoredResource stored)
    {
        context.Response.Headers.ETag = ETag.Of(stored.Version);
        context.Response.Headers.LastModified = stored.LastUpdated.ToString("r", CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a Prefer header (RFC 7240) holds <paramref name="preference"/>, such as <c>respond-async</c> or <c>handling=strict</c>.</summary>
    public static bool Prefers(HttpRequest request, string preference) =>
        request.Headers["Prefer"].Any(h => (h ?? "").Split([',', ';'], StringSplitOptions.TrimEntries)
            .Any(p => p.Equals(preference, StringComparison.OrdinalIgnoreCase)));

    /// <summary>The <c>return</c> preference of the Prefer header (RFC 7240), or null.</summary>
    public static string? PreferReturn(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var part in (header ?? string.Empty).Split([',', ';'], StringSplitOptions.TrimEntries))
            {
                if (part.StartsWith("return=", StringComparison.OrdinalIgnoreCase))
                {
                    return part["return=".Length..].Trim('"');
                }
            }
        }

        return null;
    }

    private static Task WriteTextAsync(HttpContext context, int status, FhirFormat format, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = FhirFormats.MediaType(format) + "; charset=utf-8";
        return context.Response.WriteAsync(text, Encoding.UTF8);
    }
}
