using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation;

/// <summary>Configuration of <see cref="FhirProfileValidator"/>.</summary>
public sealed class FhirProfileValidatorOptions
{
    /// <summary>Our own canonical base: unknown profiles and extensions under it are errors (ours must exist).</summary>
    public string OwnCanonicalBase { get; set; } = "https://fhircoord.example/fhir/";

    /// <summary>Severity of an unknown profile in meta.profile under <see cref="OwnCanonicalBase"/>.</summary>
    public OperationOutcome.IssueSeverity UnknownOwnProfileSeverity { get; set; } = OperationOutcome.IssueSeverity.Error;

    /// <summary>Severity of an unknown profile in meta.profile elsewhere (a partner's profile we do not hold).</summary>
    public OperationOutcome.IssueSeverity UnknownOtherProfileSeverity { get; set; } = OperationOutcome.IssueSeverity.Warning;

    /// <summary>Severity of an extension whose url is unknown (on modifierExtension it is always an error).</summary>
    public OperationOutcome.IssueSeverity UnknownExtensionSeverity { get; set; } = OperationOutcome.IssueSeverity.Warning;

    /// <summary>Profiles every resource of a type must meet, by resource type ("Patient" → [url...]).</summary>
    public Dictionary<string, List<string>> DefaultProfiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Stop after this many issues (a runaway instance must not produce megabytes of outcome).</summary>
    public int MaxIssues { get; set; } = 500;

    /// <summary>Maximum element depth walked.</summary>
    public int MaxDepth { get; set; } = 64;

    /// <summary>Diagnostics only (benchmark breakdown): skip FHIRPath invariants.</summary>
    internal bool EvaluateInvariants { get; set; } = true;

    /// <summary>Diagnostics only: when set, time spent per invariant key (Stopwatch ticks, count).</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, (long Ticks, int Count)>? InvariantTimings { get; set; }

    /// <summary>Apply the French identifier rules (NIR/NIA key, INS ⇒ QUAL, INS system/type/use, RPPS).</summary>
    public bool FrenchIdentifierRules { get; set; } = true;
}
