using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;
using Npgsql;

namespace FhirCoordGateway.Api.Http;

/// <summary>
/// Turns every failure into an OperationOutcome with the right status: <see cref="FhirOutcomeException"/>
/// as it says, oversized or unreadable requests as 413/400, an unreachable database as 503, and anything
/// unexpected as a 500 whose only detail is the correlation id (the exception is logged, never echoed).
/// </summary>
public sealed class OutcomeMiddleware(RequestDelegate next, ILogger<OutcomeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (FhirOutcomeException e)
        {
            await WriteAsync(context, e.Status, e.Outcome);
        }
        catch (BadHttpRequestException e)
        {
            var kind = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? FailureKind.PayloadTooLarge : FailureKind.Invalid;
            await WriteAsync(context, kind.Status(), Outcomes.Error(kind.IssueCode(), kind == FailureKind.PayloadTooLarge
                ? "The request body is larger than this server accepts."
                : "The request could not be read."));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody is left to answer.
        }
        catch (NpgsqlException e) when (e.IsTransient)
        {
            logger.LogWarning(e, "Database unavailable for request {CorrelationId}", context.TraceIdentifier);
            await WriteAsync(context, FailureKind.Unavailable.Status(), Outcomes.Error(
                OperationOutcome.IssueType.Transient, $"The database is unavailable; retry later (correlation id {context.TraceIdentifier})."));
        }
        catch (Exception e)
        {
            logger.LogError(e, "Unhandled exception for request {CorrelationId}", context.TraceIdentifier);
            var outcome = new OperationOutcome
            {
                Id = context.TraceIdentifier,
                Issue =
                [
                    Outcomes.Issue(OperationOutcome.IssueSeverity.Fatal, OperationOutcome.IssueType.Exception,
                        $"An unexpected error occurred. Quote correlation id {context.TraceIdentifier} to the operators.", null),
                ],
            };
            await WriteAsync(context, StatusCodes.Status500InternalServerError, outcome);
        }
    }

    /// <summary>Writes an outcome in the negotiated format, or JSON when negotiation itself failed.</summary>
    public static async Task WriteAsync(HttpContext context, int status, OperationOutcome outcome)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.Clear();
        try
        {
            await FhirResponses.WriteAsync(context, status, outcome);
        }
        catch (FhirOutcomeException)
        {
            context.Request.QueryString = QueryString.Empty;
            context.Request.Headers.Accept = FhirFormats.JsonMediaType;
            await FhirResponses.WriteAsync(context, status, outcome);
        }
    }
}
