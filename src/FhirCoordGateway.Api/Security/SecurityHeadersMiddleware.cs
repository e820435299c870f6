namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Response headers for a health-data API (OWASP REST Security Cheat Sheet): no MIME sniffing, no framing, no
/// referrer, no caching by shared caches or browsers; the FHIR API also forbids any active content.
/// Added when the response starts, so that error answers (whose headers the outcome middleware resets) carry them too.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            if (http.Request.Path.StartsWithSegments(Http.FhirBase.Path))
            {
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            }

            return Task.CompletedTask;
        });
        return next(http);
    }
}
