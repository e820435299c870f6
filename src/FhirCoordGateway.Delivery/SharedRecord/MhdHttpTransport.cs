using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// MHD Document Source over HTTP: ITI-65 <c>POST [base]</c> with the Provide Document Bundle, and ITI-67
/// <c>GET [base]/DocumentReference?identifier=</c> to find a document by uniqueId.
/// https://profiles.ihe.net/ITI/MHD/ITI-65.html, https://profiles.ihe.net/ITI/MHD/ITI-67.html
/// </summary>
// Design: success only when every entry of the transaction-response is 2xx (MHD: the recipient stores all or
// nothing, but a peer answering 200 with a failed entry must not count as delivered). Failures are classified
// once, in SharedRecordFailures: 5xx, 408, 429, timeouts and unreachable peers are transient, other 4xx permanent;
// a failed TLS handshake (trust or client certificate) is permanent: it needs a configuration change.
public sealed class MhdHttpTransport(
    HttpClient http, ProvideDocumentBundleBuilder builder, IOptions<SharedRecordOptions> options, ILogger<MhdHttpTransport> log) : IProvideDocumentTransport
{
    private const string FhirJson = "application/fhir+json";
    private static readonly FhirJsonSerializer Writer = new();
    private static readonly FhirJsonDeserializer Reader = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    private readonly string _base = options.Value.BaseUrl.TrimEnd('/');

    public async Task<DeliveryReceipt?> FindAsync(string uniqueId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_base}/DocumentReference?identifier={Uri.EscapeDataString(uniqueId)}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        var (status, body) = await SendAsync(request, "ITI-67 search", ct);
        if ((int)status is < 200 or > 299) throw SharedRecordFailures.FromStatus("ITI-67 search", status, body);

        if (Parse(body) is not Bundle searchset)
            throw new DeliveryFailedException("The shared record's ITI-67 answer is not a Bundle.", transient: true);
        var found = searchset.Entry.FirstOrDefault(e => e.Resource is DocumentReference d && d.MasterIdentifier?.Value == uniqueId);
        return found is null ? null
            : new DeliveryReceipt(found.Resource!.Id is { } id ? $"DocumentReference/{id}" : found.FullUrl, null);
    }

    public async Task<DeliveryReceipt> ProvideAsync(OutboundDocument document, CancellationToken ct)
    {
        var submission = builder.Build(document);
        using var request = new HttpRequestMessage(HttpMethod.Post, _base)
        {
            Content = new StringContent(Writer.SerializeToString(submission.Bundle), Encoding.UTF8, FhirJson),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        var started = Stopwatch.GetTimestamp();
        var (status, body) = await SendAsync(request, "ITI-65", ct);
        log.LogDebug("ITI-65 for DocumentReference/{ResourceId} answered {StatusCode} in {ElapsedMs} ms",
            document.Document.Id, (int)status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if ((int)status is < 200 or > 299) throw SharedRecordFailures.FromStatus("ITI-65", status, body);

        if (Parse(body) is not Bundle { Type: Bundle.BundleType.TransactionResponse } response
            || response.Entry.Count != submission.Bundle.Entry.Count)
        {
            // The document may well be stored: the next attempt, told the outcome is unknown, will look it up first.
            throw new DeliveryFailedException(
                $"The shared record answered {(int)status} without a transaction-response of {submission.Bundle.Entry.Count} entries.", transient: true);
        }

        SharedRecordFailures.ThrowOnFailedEntry(response);
        var location = response.Entry[submission.DocumentEntryIndex].Response?.Location;
        return new DeliveryReceipt(location, null);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage request, string interaction, CancellationToken ct)
    {
        try
        {
            using var response = await http.SendAsync(request, ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DeliveryFailedException($"The shared record did not answer the {interaction} request within {http.Timeout.TotalSeconds:0} s.", transient: true, e);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            // An untrusted server certificate or a refused client certificate fails the same way until the configuration changes.
            throw new DeliveryFailedException($"The TLS handshake with the shared record failed for {interaction} (server certificate not trusted or client certificate refused).", transient: false, e);
        }
        catch (HttpRequestException e)
        {
            // Connection refused, DNS, TLS: the exception text names the host and the socket error, nothing of the document.
            throw new DeliveryFailedException($"The shared record could not be reached for {interaction}: {e.Message}", transient: true, e);
        }
    }

    private static Resource? Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            return Reader.DeserializeResource(body);
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
