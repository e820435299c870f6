using System.Text.RegularExpressions;
using Serilog.Context;

namespace FhirCoordGateway.Api.Http;

/// <summary>
/// Takes the caller's <c>X-Request-Id</c> when it is a plain token (else makes one), uses it as the
/// request's trace identifier, returns it in the response and adds it to every log event of the request.
/// </summary>
public sealed partial class CorrelationIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var id = SafeId().IsMatch(incoming) ? incoming : Guid.NewGuid().ToString("N");
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        using (LogContext.PushProperty("CorrelationId", id))
        {
            await next(context);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex SafeId();
}
