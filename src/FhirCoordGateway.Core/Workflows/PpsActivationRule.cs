using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// The médecin traitant's validation of a PPS can only be written by <c>$validate-by-mt</c> (docs/adr/0013):
/// on every other write the validation extension must stay exactly what the replaced version had. So a plan
/// becomes <c>active</c> only through the operation (the profile's fcg-pps-1 makes <c>active</c> require the
/// extension, and nothing else can add it), and the revisions of an active plan keep its validation.
/// Checked on every create and update path (REST, conditional, PATCH, Bundle entries).
/// </summary>
public sealed class PpsActivationRule : IVersionRule
{
    public const string Operation = "validate-by-mt";

    public ValueTask CheckAsync(VersionChange change, IResourceUnitOfWork uow, CancellationToken ct)
    {
        if (change.Operation == Operation || !PpsPlan.IsPps(change.Next))
        {
            return ValueTask.CompletedTask;
        }

        var next = (CarePlan)change.Next;
        var previous = change.PreviousResource as CarePlan;
        var wasActive = PpsPlan.IsPps(previous) && previous!.Status == RequestStatus.Active;
        if (next.Status == RequestStatus.Active && !wasActive)
        {
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable,
                "A PPS becomes active only through its validation by the médecin traitant (POST CarePlan/[id]/$validate-by-mt).",
                "CarePlan.status");
        }

        if (!(previous is null ? PpsPlan.MtValidation(next) is null : PpsPlan.SameMtValidation(previous, next)))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable,
                "The médecin traitant's validation of a PPS is written only by $validate-by-mt; other writes keep it unchanged.",
                $"CarePlan.extension('{PpsPlan.MtValidationUrl}')");
        }

        return ValueTask.CompletedTask;
    }
}
