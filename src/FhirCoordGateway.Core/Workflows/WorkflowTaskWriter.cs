using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// Writes a workflow Task under its deterministic id once: under the id's lock, an existing Task (made by an
/// earlier run of the same job or consumer) is left as it is. Written through the normal write path.
/// </summary>
public sealed class WorkflowTaskWriter(IResourceStore store, UpdateHandler updates)
{
    /// <summary>True when <paramref name="task"/> was created, false when a Task with its id already existed.</summary>
    public async Task<bool> CreateOnceAsync(FhirTask task, CancellationToken ct)
    {
        var id = task.Id ?? throw new ArgumentException("A workflow Task has its deterministic id.", nameof(task));
        await using var uow = await store.BeginAsync(ct);
        await uow.LockAsync($"Task/{id}", ct);
        if (await uow.ReadAsync("Task", id, ct) is not null)
        {
            return false;
        }

        await updates.WriteAsync(uow, task, id, ifMatch: null, ct);
        await uow.CommitAsync(ct);
        return true;
    }
}
