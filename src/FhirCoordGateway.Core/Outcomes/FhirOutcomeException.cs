using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Outcomes;

/// <summary>
/// A request failure that the API answers with <see cref="Outcome"/> and the status of <see cref="Kind"/>.
/// Thrown anywhere in Core; caught once, by the API's outcome middleware.
/// </summary>
public sealed class FhirOutcomeException : Exception
{
    public FhirOutcomeException(FailureKind kind, OperationOutcome outcome)
        : base(outcome.Issue.FirstOrDefault()?.Diagnostics ?? kind.ToString())
    {
        Kind = kind;
        Outcome = outcome;
    }

    public FailureKind Kind { get; }

    public OperationOutcome Outcome { get; }

    public int Status => Kind.Status();

    /// <summary>A failure with a single error issue whose code follows from the kind.</summary>
    public static FhirOutcomeException Of(FailureKind kind, string message, string? expression = null) =>
        new(kind, Outcomes.Error(kind.IssueCode(), message, expression));
}
