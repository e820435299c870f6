using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// <c>POST CarePlan/{id}/$validate-by-mt</c>: the patient's médecin traitant validates a PPS. One new version
/// sets status <c>active</c> and the validation extension (validator, dateTime). The validator must be the
/// patient's MT: a <c>Patient.generalPractitioner</c>, or the current PCP participant of one of the plan's care
/// teams (either the PractitionerRole named there or the Practitioner behind it). docs/adr/0013.
/// With security on, the validator is the caller: the token's <c>fhirUser</c> (a Practitioner or PractitionerRole);
/// a <c>validator</c> parameter may only name the same person (or one of their PractitionerRoles).
/// </summary>
public sealed class MtValidationHandler(IResourceStore store, UpdateHandler updates, RequestSecurityAccessor security, TimeProvider clock)
{
    public const string PcpSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction";
    private const string ValidatorLocation = "Parameters.parameter.where(name = 'validator').value";

    public async Task<WriteResult> HandleAsync(string id, Parameters parameters, int? ifMatch, CancellationToken ct)
    {
        ResourceTypes.EnsureValidId(id);
        var parameter = parameters.Parameter.FirstOrDefault(p => p.Name == "validator");
        var named = (parameter?.Value as ResourceReference)?.Reference;
        var malformed = parameter is not null && (string.IsNullOrWhiteSpace(named) || !IsPractitioner(named));
        var caller = malformed ? null : security.Current is { } current ? CallerPractitioner(current.Access) : null;
        if (malformed || (caller is null && named is null))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, "$validate-by-mt needs the parameter 'validator': a Reference to the médecin traitant's PractitionerRole or Practitioner.", ValidatorLocation);
        }

        await using var uow = await store.BeginAsync(ct);
        await uow.LockAsync($"CarePlan/{id}", ct);
        var validator = caller is null ? named! : await CallerAsValidatorAsync(uow, caller, named, ct);
        var plan = await ReadPlanAsync(uow, id, ct);
        if (plan.Status is not (RequestStatus.Draft or RequestStatus.Active))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Conflict, $"Only a draft or active PPS can be validated; CarePlan/{id} is {plan.Status?.ToString().ToLowerInvariant()}.", "CarePlan.status");
        }

        var doctors = await TreatingDoctorsAsync(uow, plan, ct);
        if (!doctors.Contains(validator))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Forbidden, $"{validator} is not the médecin traitant of the plan's patient; only the MT validates a PPS.", ValidatorLocation);
        }

        plan.Status = RequestStatus.Active;
        PpsPlan.SetMtValidation(plan, validator, clock.GetUtcNow());
        var result = await updates.WriteAsync(uow, plan, id, ifMatch, PpsActivationRule.Operation, ct);
        await uow.CommitAsync(ct);
        return result;
    }

    private static bool IsPractitioner(string reference) =>
        reference.StartsWith("PractitionerRole/", StringComparison.Ordinal) || reference.StartsWith("Practitioner/", StringComparison.Ordinal);

    /// <summary>
    /// The caller as a relative reference, from the token's <c>fhirUser</c> (SMART: the user's FHIR resource, often an
    /// absolute URL); 403 when the token names no practitioner: a validation is a médecin's own act, never a system's.
    /// </summary>
    private static string CallerPractitioner(RequestAccess access)
    {
        var parts = access.FhirUser?.TrimEnd('/').Split('/');
        var reference = parts is { Length: >= 2 } ? $"{parts[^2]}/{parts[^1]}" : null;
        return reference is not null && IsPractitioner(reference)
            ? reference
            : throw FhirOutcomeException.Of(
                FailureKind.Forbidden, "$validate-by-mt validates as the caller: the access token must name a Practitioner or PractitionerRole (claim fhirUser).");
    }

    /// <summary>
    /// The validator recorded: the <c>validator</c> parameter when it names the caller or one of the caller's
    /// PractitionerRoles (the role the MT acts in), else the caller; a parameter naming someone else is refused (403).
    /// </summary>
    private static async Task<string> CallerAsValidatorAsync(IResourceUnitOfWork uow, string caller, string? named, CancellationToken ct)
    {
        if (named is null || named == caller)
        {
            return caller;
        }

        if (named.StartsWith("PractitionerRole/", StringComparison.Ordinal)
            && await ReadAsync(uow, named, ct) is PractitionerRole { Practitioner.Reference: { } person } && person == caller)
        {
            return named;
        }

        throw FhirOutcomeException.Of(
            FailureKind.Forbidden, $"The validator {named} is not the caller ({caller}): a médecin validates a PPS only as themself.", ValidatorLocation);
    }

    private static async Task<CarePlan> ReadPlanAsync(IResourceUnitOfWork uow, string id, CancellationToken ct)
    {
        var stored = await uow.ReadAsync("CarePlan", id, ct) ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"CarePlan/{id} does not exist.");
        if (stored.Deleted)
        {
            throw FhirOutcomeException.Of(FailureKind.Gone, $"CarePlan/{id} was deleted (version {stored.Version}).");
        }

        var plan = (CarePlan)ResourceJson.Parse(stored.Json!);
        return PpsPlan.IsPps(plan)
            ? plan
            : throw FhirOutcomeException.Of(FailureKind.Unprocessable, $"CarePlan/{id} is not a PPS (category {PpsPlan.CategoryToken}).", "CarePlan.category");
    }

    /// <summary>
    /// The references that designate the patient's MT: generalPractitioner entries and current PCP members of
    /// the plan's care teams, each PractitionerRole with its Practitioner.
    /// </summary>
    public static async Task<HashSet<string>> TreatingDoctorsAsync(IResourceUnitOfWork uow, CarePlan plan, CancellationToken ct)
    {
        var named = new List<string>();
        if (await ReadAsync(uow, plan.Subject?.Reference, ct) is Patient patient)
        {
            named.AddRange(patient.GeneralPractitioner.Select(g => g.Reference).OfType<string>());
        }

        foreach (var team in plan.CareTeam.Select(t => t.Reference))
        {
            if (await ReadAsync(uow, team, ct) is CareTeam careTeam)
            {
                named.AddRange(careTeam.Participant
                    .Where(p => p.Period?.End is null && p.Role.Any(r => r.Coding.Any(c => c.System == PcpSystem && c.Code == "PCP")))
                    .Select(p => p.Member?.Reference).OfType<string>());
            }
        }

        var doctors = new HashSet<string>(named, StringComparer.Ordinal);
        foreach (var role in named.Where(r => r.StartsWith("PractitionerRole/", StringComparison.Ordinal)))
        {
            if (await ReadAsync(uow, role, ct) is PractitionerRole { Practitioner.Reference: { } person })
            {
                doctors.Add(person);
            }
        }

        return doctors;
    }

    private static async Task<Resource?> ReadAsync(IResourceUnitOfWork uow, string? reference, CancellationToken ct)
    {
        var parts = reference?.Split('/');
        if (parts is not { Length: 2 })
        {
            return null;
        }

        var stored = await uow.ReadAsync(parts[0], parts[1], ct);
        return stored is { Deleted: false, Json: { } json } ? ResourceJson.Parse(json) : null;
    }
}
