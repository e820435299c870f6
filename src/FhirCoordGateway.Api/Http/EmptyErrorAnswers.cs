using FhirCoordGateway.Core.Outcomes;
using Microsoft.AspNetCore.Diagnostics;

namespace FhirCoordGateway.Api.Http;

/// <summary>
/// Gives an OperationOutcome body to the error answers routing produces without one: unknown routes (404)
/// and known routes called with the wrong method (405).
/// </summary>
public static class EmptyErrorAnswers
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var kind = status switch
        {
            404 => FailureKind.NotFound,
            405 => FailureKind.MethodNotAllowed,
            413 => FailureKind.PayloadTooLarge,
            415 => FailureKind.UnsupportedMediaType,
            _ => FailureKind.Invalid,
        };
        var message = status switch
        {
            404 => $"No FHIR endpoint at {http.Request.Method} {http.Request.Path}.",
            405 => $"{http.Request.Method} is not allowed on {http.Request.Path}.",
            _ => $"The request failed with status {status}.",
        };
        return OutcomeMiddleware.WriteAsync(http, status, Outcomes.Error(kind.IssueCode(), message));
    }
}
