using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// <c>POST CarePlan/{id}/$validate-by-mt</c>: the patient's médecin traitant validates a PPS. One new version
/// sets status <c>active</c> and the validation extension (validator, dateTime). The validator must be the
/// patient's MT: a <c>Patient.generalPractitioner</c>, or the current PCP participant of one of the plan's care
/// teams (either the PractitionerRole named there or the Practitioner behind it). docs/adr/0013.
/// </summary>
public sealed class MtValidationHandler(IResourceStore store, UpdateHandler updates, TimeProvider clock)
{
    public const string PcpSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction";
    private const string ValidatorLocation = "Parameters.parameter.where(name = 'validator').value";

    public async Task<WriteResult> HandleAsync(string id, Parameters parameters, int? ifMatch, CancellationToken ct)
    {
        ResourceTypes.EnsureValidId(id);
        var validator = (parameters.GetSingleValue<ResourceReference>("validator"))?.Reference;
        if (string.IsNullOrWhiteSpace(validator) || !(validator.StartsWith("PractitionerRole/", StringComparison.Ordinal) || validator.StartsWith("Practitioner/", StringComparison.Ordinal)))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, "$validate-by-mt needs the parameter 'validator': a Reference to the médecin traitant's PractitionerRole or Practitioner.", ValidatorLocation);
        }

        await using var uow = await store.BeginAsync(ct);
        await uow.LockAsync($"CarePlan/{id}", ct);
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
