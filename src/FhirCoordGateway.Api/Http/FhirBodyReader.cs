using System.Text.Json;
using System.Xml;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Http;

/// <summary>
/// Reads a resource from a request body in JSON or XML with the SDK's strict parser, within the size limit.
/// Every content problem (unknown element, wrong type, bad value, malformed syntax) answers 400 with an
/// OperationOutcome that lists each problem and where it is.
/// </summary>
public sealed class FhirBodyReader(IOptions<FhirServerOptions> options)
{
    private static readonly FhirJsonDeserializer Json = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirXmlDeserializer Xml = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    public async Task<Resource> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await ReadForValidationAsync(request, ct);
        return body.Resource ?? throw new FhirOutcomeException(FailureKind.Invalid, ParseOutcome.From(body.Failure!));
    }

    /// <summary>
    /// Like <see cref="ReadAsync"/>, but a content error (unknown element, bad value) is returned rather than
    /// answered, so that $validate can report it with the rest of the validation. Malformed syntax still answers 400.
    /// </summary>
    public async Task<ParsedBody> ReadForValidationAsync(HttpRequest request, CancellationToken ct)
    {
        var format = FhirFormats.ForBody(request);
        var body = await ReadBytesAsync(request, ct);
        format ??= Sniff(body);
        try
        {
            return new ParsedBody(format == FhirFormat.Json ? ParseJson(body) : ParseXml(body), null);
        }
        catch (DeserializationFailedException e)
        {
            return new ParsedBody(null, e);
        }
    }

    /// <summary>The raw body within the size limit (413 above it, 400 when empty), for bodies that are not resources (JSON Patch).</summary>
    public async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken ct)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "The request has no body; a resource is expected.");
        }

        return buffer.ToArray();
    }

    private static FhirFormat Sniff(byte[] body)
    {
        foreach (var b in body)
        {
            if (b == (byte)'<')
            {
                return FhirFormat.Xml;
            }

            if (!char.IsWhiteSpace((char)b))
            {
                break;
            }
        }

        return FhirFormat.Json;
    }

    private static Resource ParseJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            return Json.DeserializeResource(ref reader);
        }
        catch (JsonException e)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, $"Malformed JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}.", $"line {e.LineNumber + 1}");
        }
    }

    private static Resource ParseXml(byte[] body)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), settings);
            return Xml.DeserializeResource(reader);
        }
        catch (XmlException e)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, $"Malformed XML at line {e.LineNumber}, position {e.LinePosition}.", $"line {e.LineNumber}");
        }
    }

    private static FhirOutcomeException TooLarge(int limit) =>
        FhirOutcomeException.Of(FailureKind.PayloadTooLarge, $"The request body exceeds the limit of {limit} bytes.");
}

/// <summary>A parsed body: the resource, or the parser's content errors (with the partial result they carry).</summary>
public sealed record ParsedBody(Resource? Resource, DeserializationFailedException? Failure);
