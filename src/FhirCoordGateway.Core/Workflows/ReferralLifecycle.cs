using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;
using TaskStatus = Hl7.Fhir.Model.Task.TaskStatus;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// The lifecycle of a referral-tracking Task (code <c>fhircoord-workflow-task#referral</c>, docs/adr/0013):
/// requested → received → accepted | rejected → in-progress → completed, with cancelled (by the requester)
/// from any open state and failed from in-progress. The specialist moves it with plain FHIR updates (PUT or
/// PATCH of <c>Task.status</c>); this rule refuses any other step with 409, and a completion without the
/// specialist's report (a DocumentReference in <c>Task.output</c> authored by the Task's owner) with 422.
/// </summary>
public sealed class ReferralLifecycle : IVersionRule
{
    private static readonly Dictionary<TaskStatus, TaskStatus[]> Allowed = new()
    {
        [TaskStatus.Requested] = [TaskStatus.Received, TaskStatus.Accepted, TaskStatus.Rejected, TaskStatus.Cancelled],
        [TaskStatus.Received] = [TaskStatus.Accepted, TaskStatus.Rejected, TaskStatus.Cancelled],
        [TaskStatus.Accepted] = [TaskStatus.InProgress, TaskStatus.Cancelled],
        [TaskStatus.InProgress] = [TaskStatus.Completed, TaskStatus.Failed, TaskStatus.Cancelled],
    };

    public static bool IsAllowed(TaskStatus from, TaskStatus to) =>
        from == to || (Allowed.TryGetValue(from, out var next) && next.Contains(to));

    public async ValueTask CheckAsync(VersionChange change, IResourceUnitOfWork uow, CancellationToken ct)
    {
        // Most Task writes are document deliveries: neither version is a workflow Task, and the replaced one is not parsed.
        if (change.Next is not FhirTask task || (!WorkflowTasks.Is(task, WorkflowTasks.Referral) && !WorkflowTasks.MayBeIn(change.Previous?.Json)))
        {
            return;
        }

        var previous = change.PreviousResource as FhirTask;
        if (!(WorkflowTasks.Is(task, WorkflowTasks.Referral) || WorkflowTasks.Is(previous, WorkflowTasks.Referral)))
        {
            return;
        }

        if (!WorkflowTasks.Is(task, WorkflowTasks.Referral) || (previous is not null && previous.Focus?.Reference != task.Focus?.Reference))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable, "A referral-tracking Task keeps its code and its focus (the referral ServiceRequest).",
                WorkflowTasks.Is(task, WorkflowTasks.Referral) ? "Task.focus" : "Task.code");
        }

        var to = task.Status ?? throw FhirOutcomeException.Of(FailureKind.Unprocessable, "A referral-tracking Task has a status.", "Task.status");
        var from = previous?.Status ?? TaskStatus.Requested;
        if (previous is null && to != TaskStatus.Requested)
        {
            throw FhirOutcomeException.Of(FailureKind.Unprocessable, "A referral-tracking Task starts as requested.", "Task.status");
        }

        if (!IsAllowed(from, to))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Conflict,
                $"A referral cannot go from {Code(from)} to {Code(to)}; from {Code(from)} it can go to {string.Join(", ", Allowed.GetValueOrDefault(from, []).Select(Code))}.",
                "Task.status");
        }

        if (to == TaskStatus.Completed && from != TaskStatus.Completed)
        {
            await EnsureReportAsync(task, uow, ct);
        }
    }

    /// <summary>The report that completes a referral: a stored DocumentReference in Task.output, written by the specialist.</summary>
    private static async System.Threading.Tasks.Task EnsureReportAsync(FhirTask task, IResourceUnitOfWork uow, CancellationToken ct)
    {
        var report = ReferralTracking.Report(task);
        var stored = report is null ? null : await uow.ReadAsync("DocumentReference", report["DocumentReference/".Length..], ct);
        if (stored is not { Deleted: false, Json: { } json })
        {
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable, "A referral completes with the specialist's report: a stored DocumentReference in Task.output.", "Task.output");
        }

        var authors = ((DocumentReference)ResourceJson.Parse(json)).Author.Select(a => a.Reference).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var owner = task.Owner?.Reference;
        var ownerPerson = owner is not null && owner.StartsWith("PractitionerRole/", StringComparison.Ordinal)
            && await uow.ReadAsync("PractitionerRole", owner["PractitionerRole/".Length..], ct) is { Deleted: false, Json: { } roleJson }
            ? ((PractitionerRole)ResourceJson.Parse(roleJson)).Practitioner?.Reference
            : null;
        if (owner is null || !(authors.Contains(owner) || (ownerPerson is not null && authors.Contains(ownerPerson))))
        {
            // The routing sends a document to the MT unless the MT wrote it; the report must be the specialist's.
            throw FhirOutcomeException.Of(
                FailureKind.Unprocessable, "The referral report must be authored by the specialist who owns the Task (Task.owner).", "Task.output");
        }
    }

    private static string Code(TaskStatus status) => Hl7.Fhir.Utility.EnumUtility.GetLiteral(status) ?? status.ToString();
}
