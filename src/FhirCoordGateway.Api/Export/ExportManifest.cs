using FhirCoordGateway.Core.Export;

namespace FhirCoordGateway.Api.Export;

/// <summary>
/// The complete-status body of a bulk export (application/json).
/// https://hl7.org/fhir/uv/bulkdata/export.html#response---complete-status
/// </summary>
public sealed record ExportManifest(
    string TransactionTime, string Request, bool RequiresAccessToken, IReadOnlyList<ExportManifest.Item> Output, IReadOnlyList<ExportManifest.Item> Deleted, IReadOnlyList<ExportManifest.Item> Error)
{
    public sealed record Item(string Type, string Url, int Count);

    public static ExportManifest Of(ExportJob job, string baseUrl, bool requiresAccessToken)
    {
        Item ItemOf(ExportFile f) => new(f.ResourceType, $"{baseUrl}/${ExportEndpoints.FileOperation}/{job.Id}/{f.Number}", f.Count);
        return new ExportManifest(
            job.TransactionTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            job.Request.RequestUrl,
            requiresAccessToken,
            [.. job.Files.Where(f => !f.IsError).Select(ItemOf)],
            [],
            [.. job.Files.Where(f => f.IsError).Select(ItemOf)]);
    }
}
