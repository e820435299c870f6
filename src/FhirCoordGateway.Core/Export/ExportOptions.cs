using System.ComponentModel.DataAnnotations;

namespace FhirCoordGateway.Core.Export;

/// <summary>Bulk export settings (section <c>Export</c>).</summary>
public sealed class ExportOptions
{
    public const string Section = "Export";

    /// <summary>Resources read per search page while exporting.</summary>
    [Range(1, 5000)]
    public int PageSize { get; set; } = 500;

    /// <summary>Resources per ndjson file: a type with more is split over several files of the manifest.</summary>
    [Range(1, 1_000_000)]
    public int ResourcesPerFile { get; set; } = 10_000;
}
