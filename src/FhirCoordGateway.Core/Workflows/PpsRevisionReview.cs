using System.Globalization;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// The daily revision-date check (issue 7 §5): every active PPS whose revision date (extension
/// <c>fhircoord-pps-revision-date</c>) is before today gets one Task "review the PPS" for its médecin traitant.
/// The Task id follows from the plan and its version, so running the check again (the next day, or twice
/// after a crash) makes no second Task for the same version; a revised plan that is still overdue gets a new one.
/// </summary>
public sealed class PpsRevisionReview(
    WorkflowSearch search, WorkflowTaskWriter tasks, TimeProvider clock, ILogger<PpsRevisionReview> logger)
{
    /// <summary>Flags the overdue plans as of <paramref name="today"/> (UTC date of the clock when null); returns the Tasks created.</summary>
    public async Task<IReadOnlyList<string>> RunAsync(DateOnly? today, CancellationToken ct)
    {
        var day = today ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var query = search.Query(
            "CarePlan",
            ("category", PpsPlan.CategoryToken),
            ("status", "active"),
            ("revision-date", "lt" + day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        var created = new List<string>();
        await foreach (var stored in search.AllAsync(query, ct))
        {
            if (await EnsureTaskAsync(stored, ct) is { } taskId)
            {
                created.Add(taskId);
            }
        }

        logger.LogInformation("PPS revision check for {Day}: {Count} review Tasks created", day, created.Count);
        return created;
    }

    public static string TaskId(string planId, int version) => WorkflowTasks.Id("pps-review", $"{planId}|{version}");

    /// <summary>Creates the review Task of this plan version unless it exists; returns its id when created.</summary>
    private async Task<string?> EnsureTaskAsync(StoredResource stored, CancellationToken ct)
    {
        var plan = (CarePlan)ResourceJson.Parse(stored.Json!);
        var id = TaskId(stored.Id, stored.Version);
        var now = new FhirDateTime(clock.GetUtcNow());
        var task = new FhirTask
        {
            Id = id,
            Status = FhirTask.TaskStatus.Requested,
            Intent = FhirTask.TaskIntent.Order,
            Priority = RequestPriority.Routine,
            Code = WorkflowTasks.Code(WorkflowTasks.PpsReview, "Review the PPS"),
            Description = $"The PPS passed its revision date ({PpsPlan.RevisionDate(plan)}): review and revise it.",
            Focus = new ResourceReference($"CarePlan/{stored.Id}"),
            Input = [new FhirTask.ParameterComponent { Type = WorkflowTasks.Code("plan-version", "PPS version reviewed"), Value = new Integer(stored.Version) }],
            For = plan.Subject is null ? null : new ResourceReference(plan.Subject.Reference),
            Owner = new ResourceReference(PpsPlan.Validator(plan) ?? plan.Author?.Reference),
            AuthoredOnElement = now,
            LastModifiedElement = now,
        };
        if (!await tasks.CreateOnceAsync(task, ct))
        {
            return null;
        }

        logger.LogInformation("Review Task/{TaskId} created for CarePlan/{PlanId}/_history/{Version}", id, stored.Id, stored.Version);
        return id;
    }
}
