using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests.Export;

/// <summary>A Bulk Data client over HttpClient: kick-off, polling until the manifest, downloads (ndjson).</summary>
public static class BulkExport
{
    /// <summary>Sends the kick-off with <c>Prefer: respond-async</c>; asserts 202 and returns the status URL.</summary>
    public static async Task<string> KickOffAsync(HttpClient http, string path)
    {
        var response = await SendKickOffAsync(http, path);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"kick-off {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Content.Headers.ContentLocation?.ToString() ?? throw new InvalidOperationException("no Content-Location");
    }

    public static Task<HttpResponseMessage> SendKickOffAsync(HttpClient http, string path) =>
        http.SendAsync(Http.Request(HttpMethod.Get, path, null, ("Prefer", "respond-async"), ("Accept", "application/fhir+json")));

    /// <summary>Polls the status URL (202 with X-Progress meanwhile) until the manifest arrives.</summary>
    public static async Task<Manifest> WaitAsync(HttpClient http, string statusUrl)
    {
        HttpResponseMessage? last = null;
        await Eventually.UntilAsync(async () =>
        {
            last = await http.GetAsync(statusUrl);
            if (last.StatusCode == HttpStatusCode.Accepted)
            {
                Assert.NotEmpty(last.Headers.GetValues("X-Progress").Single());
            }

            return last.StatusCode != HttpStatusCode.Accepted;
        }, "the export to finish", () => $"last status {(int?)last?.StatusCode}");
        Assert.True(last!.StatusCode == HttpStatusCode.OK, $"status: {(int)last.StatusCode} {await last.Content.ReadAsStringAsync()}");
        Assert.Equal("application/json", last.Content.Headers.ContentType?.MediaType);
        return new Manifest(JsonDocument.Parse(await last.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Downloads a file and parses each ndjson line.</summary>
    public static async Task<List<Resource>> DownloadAsync(HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+ndjson", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => new FhirJsonDeserializer().DeserializeResource(line))];
    }

    /// <summary>The complete-status body.</summary>
    public sealed record Manifest(JsonElement Root)
    {
        public IReadOnlyList<(string Type, string Url, int Count)> Output => Items("output");

        public IReadOnlyList<(string Type, string Url, int Count)> Error => Items("error");

        private List<(string, string, int)> Items(string name) =>
            [.. Root.GetProperty(name).EnumerateArray().Select(i => (i.GetProperty("type").GetString()!, i.GetProperty("url").GetString()!, i.GetProperty("count").GetInt32()))];

        /// <summary>Every output file downloaded, checking that each holds as many resources of its type as the manifest says.</summary>
        public async Task<List<Resource>> DownloadAllAsync(HttpClient http)
        {
            var all = new List<Resource>();
            foreach (var (type, url, count) in Output)
            {
                var resources = await DownloadAsync(http, url);
                Assert.Equal(count, resources.Count);
                Assert.All(resources, r => Assert.Equal(type, r.TypeName));
                all.AddRange(resources);
            }

            return all;
        }
    }
}
