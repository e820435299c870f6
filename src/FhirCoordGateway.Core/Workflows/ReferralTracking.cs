using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// Change-feed consumer of the referral workflow (docs/adr/0013). A referral ServiceRequest created (category
/// SNOMED CT 3457005) gets its tracking Task: status requested, focus and basedOn the ServiceRequest, owner its
/// first performer (the specialist), requester the MT, authoredOn the referral's. A tracking Task that reaches
/// completed completes its ServiceRequest. Both reactions are idempotent (deterministic Task id, and a
/// ServiceRequest already completed is left alone), as the change feed delivers at least once.
/// </summary>
public sealed class ReferralTracking(IResourceStore store, UpdateHandler updates, WorkflowTaskWriter tasks, TimeProvider clock, ILogger<ReferralTracking> logger) : IChangeConsumer
{
    public const string SnomedSystem = "http://snomed.info/sct";
    public const string ReferralCode = "3457005";

    public string Name => "referral-tracking";

    public static string TaskId(string serviceRequestId) => WorkflowTasks.Id("referral", serviceRequestId);

    public static bool IsReferral(Resource? resource) =>
        resource is ServiceRequest request && request.Category.Any(c => c.Coding.Any(x => x.System == SnomedSystem && x.Code == ReferralCode));

    /// <summary>The report reference in a tracking Task's output (<c>DocumentReference/id</c>), or null.</summary>
    public static string? Report(FhirTask task) => task.Output.Select(o => (o.Value as ResourceReference)?.Reference)
        .FirstOrDefault(r => r is not null && r.StartsWith("DocumentReference/", StringComparison.Ordinal) && r.Split('/').Length == 2);

    public async System.Threading.Tasks.Task HandleAsync(IReadOnlyList<ChangeEntry> entries, CancellationToken ct)
    {
        foreach (var entry in entries)
        {
            if (entry is { ResourceType: "ServiceRequest", Operation: ChangeOperation.Create })
            {
                await TrackAsync(entry, ct);
            }
            else if (entry is { ResourceType: "Task", Operation: not ChangeOperation.Delete })
            {
                await CompleteRequestAsync(entry, ct);
            }
        }
    }

    private async System.Threading.Tasks.Task TrackAsync(ChangeEntry entry, CancellationToken ct)
    {
        if (await ReadVersionAsync(entry, ct) is not ServiceRequest request || !IsReferral(request))
        {
            return;
        }

        var id = TaskId(entry.Id);
        var reference = new ResourceReference($"ServiceRequest/{entry.Id}");
        var task = new FhirTask
        {
            Id = id,
            Status = FhirTask.TaskStatus.Requested,
            Intent = FhirTask.TaskIntent.Order,
            Priority = request.Priority,
            Code = WorkflowTasks.Code(WorkflowTasks.Referral, "Track the referral"),
            Focus = reference,
            BasedOn = [reference],
            For = request.Subject is null ? null : new ResourceReference(request.Subject.Reference),
            Requester = request.Requester is null ? null : new ResourceReference(request.Requester.Reference),
            Owner = request.Performer.FirstOrDefault() is { } performer ? new ResourceReference(performer.Reference) : null,
            AuthoredOnElement = request.AuthoredOnElement is { } authored ? new FhirDateTime(authored.Value) : new FhirDateTime(clock.GetUtcNow()),
            LastModifiedElement = new FhirDateTime(clock.GetUtcNow()),
        };
        if (await tasks.CreateOnceAsync(task, ct))
        {
            logger.LogInformation("Referral Task/{TaskId} created for ServiceRequest/{RequestId}", id, entry.Id);
        }
    }

    private async System.Threading.Tasks.Task CompleteRequestAsync(ChangeEntry entry, CancellationToken ct)
    {
        // Most Task changes are document deliveries (three per document): the stored JSON, which the server wrote, is
        // checked for the workflow code system before paying for a parse.
        var stored = await store.ReadVersionAsync(entry.ResourceType, entry.Id, entry.Version, ct);
        if (stored is not { Deleted: false, Json: { } taskJson } || !WorkflowTasks.MayBeIn(taskJson)
            || ResourceJson.Parse(taskJson) is not FhirTask { Status: FhirTask.TaskStatus.Completed } task
            || !WorkflowTasks.Is(task, WorkflowTasks.Referral)
            || task.Focus?.Reference is not { } focus || !focus.StartsWith("ServiceRequest/", StringComparison.Ordinal))
        {
            return;
        }

        var requestId = focus["ServiceRequest/".Length..];
        await using var uow = await store.BeginAsync(ct);
        await uow.LockAsync($"ServiceRequest/{requestId}", ct);
        if (await uow.ReadAsync("ServiceRequest", requestId, ct) is not { Deleted: false, Json: { } json }
            || ResourceJson.Parse(json) is not ServiceRequest { Status: not RequestStatus.Completed } request)
        {
            return;
        }

        request.Status = RequestStatus.Completed;
        await updates.WriteAsync(uow, request, requestId, ifMatch: null, ct);
        await uow.CommitAsync(ct);
        logger.LogInformation("ServiceRequest/{RequestId} completed by Task/{TaskId}", requestId, entry.Id);
    }

    private async Task<Resource?> ReadVersionAsync(ChangeEntry entry, CancellationToken ct)
    {
        var stored = await store.ReadVersionAsync(entry.ResourceType, entry.Id, entry.Version, ct);
        return stored is { Deleted: false, Json: { } json } ? ResourceJson.Parse(json) : null;
    }
}
