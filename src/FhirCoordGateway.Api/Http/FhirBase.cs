using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Http;

/// <summary>The service base URL used in Location headers, fullUrls and links.</summary>
public sealed class FhirBase(IOptions<FhirServerOptions> options)
{
    public const string Path = "/fhir";

    public string Of(HttpRequest request) =>
        options.Value.BaseUrl?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}{request.PathBase}{Path}";
}
