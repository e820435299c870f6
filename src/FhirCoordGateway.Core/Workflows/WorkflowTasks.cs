using System.Security.Cryptography;
using System.Text;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// The Task codes of the coordination workflows (CodeSystem <c>fhircoord-workflow-task</c>) and their
/// deterministic ids: a job or consumer that runs twice finds the Task it made the first time.
/// </summary>
public static class WorkflowTasks
{
    public const string CodeSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-workflow-task";

    /// <summary>"Review the PPS": a plan past its revision date, owned by the médecin traitant.</summary>
    public const string PpsReview = "pps-review";

    /// <summary>"Track the referral": the lifecycle of a referral ServiceRequest, owned by the specialist.</summary>
    public const string Referral = "referral";

    public static string PpsReviewCodeToken => $"{CodeSystem}|{PpsReview}";

    public static string ReferralCodeToken => $"{CodeSystem}|{Referral}";

    public static bool Is(FhirTask? task, string code) =>
        task?.Code?.Coding.Any(c => c.System == CodeSystem && c.Code == code) == true;

    /// <summary>
    /// False when stored JSON cannot be a workflow Task: it lacks the code system's last segment (letters and hyphens,
    /// never escaped in JSON). Most Task versions are document deliveries; this spares parsing them.
    /// </summary>
    public static bool MayBeIn(string? storedJson) => storedJson?.Contains("fhircoord-workflow-task", StringComparison.Ordinal) == true;

    public static CodeableConcept Code(string code, string display) => new(CodeSystem, code, display);

    /// <summary>A FHIR id (64 characters at most) derived from <paramref name="key"/>.</summary>
    public static string Id(string prefix, string key) =>
        $"{prefix}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32]}";
}
