using System.ComponentModel.DataAnnotations;
using FhirCoordGateway.Core.Interactions;

namespace FhirCoordGateway.Api.Http;

/// <summary>Settings of the FHIR endpoint, section <c>Fhir</c>.</summary>
public sealed class FhirServerOptions
{
    public const string Section = "Fhir";

    /// <summary>Public base URL (behind a proxy); by default derived from each request's scheme and host.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Largest accepted request body; larger ones answer 413.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxRequestBodyBytes { get; set; } = 32 * 1024 * 1024;

    public PagingOptions Paging { get; set; } = new();
}
