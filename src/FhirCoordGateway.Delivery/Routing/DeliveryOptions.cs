using System.ComponentModel.DataAnnotations;
using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.Routing;

/// <summary>Section "Delivery": the routing rules (data, not code) and the retry policy.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>
    /// Each rule sends the documents whose type matches to one channel. The default: every document to the
    /// shared record, and by secure messaging to the médecin traitant and the care team.
    /// </summary>
    public List<RouteRule> Routes { get; set; } = [];

    public RetryPolicy Retry { get; set; } = new();

    /// <summary>
    /// In how many lanes a change-feed batch is routed at the same time; each lane makes its documents' Tasks in one
    /// transaction and queues them as one Hangfire job (docs/adr/0017).
    /// </summary>
    [Range(1, 64)]
    public int RoutingParallelism { get; set; } = 8;
}

public sealed class RouteRule
{
    [Required]
    public string Name { get; set; } = "";

    public DeliveryChannel Channel { get; set; }

    /// <summary>Document type codes (DocumentReference.type, LOINC) this rule applies to; "*" for all.</summary>
    public List<string> DocumentTypes { get; set; } = ["*"];

    /// <summary>Secure messaging only: who receives the document.</summary>
    public List<RecipientKind> Recipients { get; set; } = [];

    public bool Matches(DocumentReference document) =>
        DocumentTypes.Contains("*") || document.Type?.Coding.Any(c => c.Code is { } code && DocumentTypes.Contains(code)) == true;
}

public enum RecipientKind
{
    /// <summary>The patient's médecin traitant (Patient.generalPractitioner).</summary>
    GeneralPractitioner,

    /// <summary>The members of the patient's active care teams (CareTeam.participant.member).</summary>
    CareTeam,
}

/// <summary>Transient failures are retried after BaseDelay × 2^(attempt−1), capped at MaxDelay, up to MaxAttempts attempts.</summary>
public sealed class RetryPolicy
{
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan DelayAfter(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * (1L << Math.Min(attempt - 1, 30))));
}
