using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Subscriptions;

/// <summary>What one POST to a subscriber gave.</summary>
public sealed record SendResult(bool Succeeded, int? HttpStatus, string? Error, int ElapsedMs);

/// <summary>
/// POSTs notifications to a rest-hook endpoint with the subscription's <c>channel.header</c>s. Only a 2xx
/// counts as delivered. Redirects are never followed (the named client has auto-redirect off): a 3xx is a
/// failure, so a notification never goes to a host the subscriber did not register.
/// https://hl7.org/fhir/R4/subscription.html#2.46.7.1
/// </summary>
public sealed class RestHookSender(IHttpClientFactory clients, SubscriptionOptions options)
{
    public const string ClientName = "subscriptions";

    /// <summary>Sends <paramref name="body"/> (null: an empty POST, the R4 ping).</summary>
    public async Task<SendResult> SendAsync(SubscriptionSpec spec, Resource? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, spec.Endpoint);
        foreach (var (name, value) in spec.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            var xml = spec.Xml;
            var text = xml ? new FhirXmlSerializer().SerializeToString(body) : FhirJsonSerializer.Default.SerializeToString(body);
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(xml ? "application/fhir+xml" : "application/fhir+json") { CharSet = "utf-8" };
        }

        var timeout = spec.TimeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : options.DefaultTimeout;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var status = (int)response.StatusCode;
            var ok = status is >= 200 and < 300;
            return new SendResult(ok, status, ok ? null : status is >= 300 and < 400 ? $"HTTP {status}: redirects are not followed" : $"HTTP {status}", Ms(watch));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendResult(false, null, $"No answer within {timeout.TotalSeconds:0} s", Ms(watch));
        }
        catch (HttpRequestException e)
        {
            // The message names the socket error, never the body we sent.
            return new SendResult(false, null, e.HttpRequestError.ToString(), Ms(watch));
        }
    }

    private static int Ms(Stopwatch watch) => (int)watch.ElapsedMilliseconds;
}
