using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Raw HTTP helpers for what FhirClient cannot send (malformed bodies, odd headers).</summary>
public static class Http
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/fhir+json");

    public static StringContent Xml(string body) => new(body, Encoding.UTF8, "application/fhir+xml");

    /// <summary>Asserts the status and that the body is an OperationOutcome whose first issue has the code (and expression).</summary>
    public static async Task<OperationOutcome> AssertOutcome(
        HttpResponseMessage response, HttpStatusCode status, OperationOutcome.IssueType code, string? expression = null)
    {
        Assert.Equal(status, response.StatusCode);
        var outcome = await ReadOutcome(response);
        Assert.Contains(outcome.Issue, i => i.Code == code && (expression is null || i.Expression.Contains(expression)));
        return outcome;
    }

    public static async Task<OperationOutcome> ReadOutcome(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        Resource resource = mediaType == "application/fhir+xml"
            ? new FhirXmlDeserializer().DeserializeResource(text)
            : new FhirJsonDeserializer().DeserializeResource(text);
        return Assert.IsType<OperationOutcome>(resource);
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public static MediaTypeHeaderValue FhirJson => new("application/fhir+json");
}
