using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Outcomes;

/// <summary>The closed set of ways a FHIR request can fail. Each maps to one HTTP status in <see cref="FailureKinds"/>.</summary>
public enum FailureKind
{
    Invalid,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Conflict,
    Gone,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    Fault,
    Unavailable,
}

/// <summary>
/// The one table from failure kind to HTTP status and default issue code
/// (STYLE.md §7; https://hl7.org/fhir/R4/http.html#Status-Codes).
/// </summary>
public static class FailureKinds
{
    public static int Status(this FailureKind kind) => kind switch
    {
        FailureKind.Invalid => 400,
        FailureKind.Unauthorized => 401,
        FailureKind.Forbidden => 403,
        FailureKind.NotFound => 404,
        FailureKind.MethodNotAllowed => 405,
        FailureKind.NotAcceptable => 406,
        FailureKind.Conflict => 409,
        FailureKind.Gone => 410,
        FailureKind.PreconditionFailed => 412,
        FailureKind.PayloadTooLarge => 413,
        FailureKind.UnsupportedMediaType => 415,
        FailureKind.Unprocessable => 422,
        FailureKind.TooManyRequests => 429,
        FailureKind.Unavailable => 503,
        _ => 500,
    };

    public static OperationOutcome.IssueType IssueCode(this FailureKind kind) => kind switch
    {
        FailureKind.Invalid => OperationOutcome.IssueType.Invalid,
        FailureKind.Unauthorized => OperationOutcome.IssueType.Login,
        FailureKind.Forbidden => OperationOutcome.IssueType.Forbidden,
        FailureKind.NotFound => OperationOutcome.IssueType.NotFound,
        FailureKind.MethodNotAllowed => OperationOutcome.IssueType.NotSupported,
        FailureKind.NotAcceptable => OperationOutcome.IssueType.NotSupported,
        FailureKind.Conflict => OperationOutcome.IssueType.Conflict,
        FailureKind.Gone => OperationOutcome.IssueType.Deleted,
        FailureKind.PreconditionFailed => OperationOutcome.IssueType.Conflict,
        FailureKind.PayloadTooLarge => OperationOutcome.IssueType.TooCostly,
        FailureKind.UnsupportedMediaType => OperationOutcome.IssueType.NotSupported,
        FailureKind.Unprocessable => OperationOutcome.IssueType.Processing,
        FailureKind.TooManyRequests => OperationOutcome.IssueType.Throttled,
        FailureKind.Unavailable => OperationOutcome.IssueType.Transient,
        _ => OperationOutcome.IssueType.Exception,
    };
}
