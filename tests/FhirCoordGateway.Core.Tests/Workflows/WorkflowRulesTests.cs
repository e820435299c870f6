using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Workflows;
using Hl7.Fhir.Model;
using TaskStatus = Hl7.Fhir.Model.Task.TaskStatus;

namespace FhirCoordGateway.Core.Tests.Workflows;

/// <summary>The pure parts of the workflows: the PPS activation rule, the referral steps, report periods and the median.</summary>
public class WorkflowRulesTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);

    private static CarePlan Pps(RequestStatus status, string? validator = null)
    {
        var plan = new CarePlan { Id = "pps-4c1d", Status = status, Intent = CarePlan.CarePlanIntent.Plan, Category = [new CodeableConcept(PpsPlan.CategorySystem, "pps")] };
        if (validator is not null)
        {
            PpsPlan.SetMtValidation(plan, validator, At);
        }

        return plan;
    }

    private static StoredResource Stored(Resource resource) => new(resource.TypeName, resource.Id!, 1, At, false, ResourceJson.Serialize(resource));

    private static ValueTask Check(Resource next, Resource? previous, string? operation = null) =>
        new PpsActivationRule().CheckAsync(new VersionChange(next, previous is null ? null : Stored(previous), operation), null!, CancellationToken.None);

    [Fact]
    public async Task GivenDraftPps_WhenActivatedByPlainWrite_Then422AtStatus()
    {
        var error = await Assert.ThrowsAsync<FhirOutcomeException>(() => Check(Pps(RequestStatus.Active, "PractitionerRole/mt-1"), Pps(RequestStatus.Draft)).AsTask());
        Assert.Equal(422, error.Status);
        Assert.Equal(["CarePlan.status"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task GivenTheOperation_WhenActivating_ThenAllowed() =>
        await Check(Pps(RequestStatus.Active, "PractitionerRole/mt-1"), Pps(RequestStatus.Draft), PpsActivationRule.Operation);

    [Fact]
    public async Task GivenActivePps_WhenRevisedKeepingTheValidation_ThenAllowed()
    {
        var previous = Pps(RequestStatus.Active, "PractitionerRole/mt-1");
        var next = Pps(RequestStatus.Active, "PractitionerRole/mt-1");
        next.Title = "révisé";
        await Check(next, previous);
    }

    [Fact]
    public async Task GivenDraftPps_WhenAClientWritesAValidation_Then422AtTheExtension()
    {
        var error = await Assert.ThrowsAsync<FhirOutcomeException>(() => Check(Pps(RequestStatus.Draft, "PractitionerRole/mt-1"), null).AsTask());
        Assert.StartsWith("CarePlan.extension(", error.Outcome.Issue[0].Expression.Single());
    }

    [Fact]
    public async Task GivenAnOrdinaryCarePlan_WhenCreatedActive_ThenTheRuleIgnoresIt() =>
        await Check(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan }, null);

    private static Hl7.Fhir.Model.Task ReferralTask(TaskStatus status, string code = WorkflowTasks.Referral) => new()
    {
        Id = "referral-1",
        Status = status,
        Intent = Hl7.Fhir.Model.Task.TaskIntent.Order,
        Code = WorkflowTasks.Code(code, "Track the referral"),
        Focus = new ResourceReference("ServiceRequest/sr-1"),
    };

    [Fact]
    public async Task GivenAReferralTask_WhenItsCodeIsReplaced_Then422AtTheCode()
    {
        var next = ReferralTask(TaskStatus.Accepted);
        next.Code = new CodeableConcept("https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-channel", "shared-record");

        var error = await Assert.ThrowsAsync<FhirOutcomeException>(() => new ReferralLifecycle()
            .CheckAsync(new VersionChange(next, Stored(ReferralTask(TaskStatus.Received)), null), null!, CancellationToken.None).AsTask());

        Assert.Equal(422, error.Status);
        Assert.Equal(["Task.code"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task GivenATaskThatNeverWasAWorkflowTask_WhenUpdated_ThenTheReplacedVersionIsNotEvenParsed()
    {
        var next = new Hl7.Fhir.Model.Task { Id = "dlv-1", Status = TaskStatus.InProgress, Intent = Hl7.Fhir.Model.Task.TaskIntent.Order };
        // Not JSON at all: parsing it would throw, so passing proves the rule decided from the stored text alone.
        var previous = new StoredResource("Task", "dlv-1", 1, At, false, "{ not json");

        await new ReferralLifecycle().CheckAsync(new VersionChange(next, previous, null), null!, CancellationToken.None);

        Assert.False(WorkflowTasks.MayBeIn(previous.Json));
        Assert.True(WorkflowTasks.MayBeIn(ResourceJson.Serialize(ReferralTask(TaskStatus.Requested))));
    }

    [Theory]
    [InlineData(TaskStatus.Requested, TaskStatus.Received, true)]
    [InlineData(TaskStatus.Received, TaskStatus.Accepted, true)]
    [InlineData(TaskStatus.Received, TaskStatus.Rejected, true)]
    [InlineData(TaskStatus.Accepted, TaskStatus.InProgress, true)]
    [InlineData(TaskStatus.InProgress, TaskStatus.Completed, true)]
    [InlineData(TaskStatus.Completed, TaskStatus.Completed, true)]
    [InlineData(TaskStatus.Requested, TaskStatus.InProgress, false)]
    [InlineData(TaskStatus.Requested, TaskStatus.Completed, false)]
    [InlineData(TaskStatus.Rejected, TaskStatus.InProgress, false)]
    [InlineData(TaskStatus.Completed, TaskStatus.InProgress, false)]
    [InlineData(TaskStatus.Accepted, TaskStatus.Received, false)]
    public void ReferralSteps(TaskStatus from, TaskStatus to, bool allowed) => Assert.Equal(allowed, ReferralLifecycle.IsAllowed(from, to));

    [Theory]
    [InlineData("2024", null, null, "2024-01-01", "2025-01-01")]
    [InlineData("2024-02", null, null, "2024-02-01", "2024-03-01")]
    [InlineData("2024-02-29", null, null, "2024-02-29", "2024-03-01")]
    [InlineData(null, "2024-03-01", "2024-03-15", "2024-03-01", "2024-03-16")]
    public void ReportPeriods(string? period, string? start, string? end, string from, string to)
    {
        var parsed = ReportPeriod.Parse(period, start, end);
        Assert.Equal(DateTimeOffset.Parse(from + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), parsed.Start);
        Assert.Equal(DateTimeOffset.Parse(to + "T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), parsed.End);
    }

    [Theory]
    [InlineData("2024-1", null, null, "period")]
    [InlineData("2024-03", "2024-03-01", null, "period")]
    [InlineData(null, "2024-03", "2024-03-31", "start")]
    [InlineData(null, "2024-03-10", "2024-03-01", "end")]
    public void BadReportPeriods(string? period, string? start, string? end, string expression)
    {
        var error = Assert.Throws<FhirOutcomeException>(() => ReportPeriod.Parse(period, start, end));
        Assert.Equal(400, error.Status);
        Assert.Equal([expression], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public void MedianOfOddAndEvenCounts()
    {
        Assert.Equal(20, CoordinationReport.Median([30, 10, 20]));
        Assert.Equal(15, CoordinationReport.Median([30, 10, 20, 0]));
        Assert.Null(CoordinationReport.Median([]));
    }
}
