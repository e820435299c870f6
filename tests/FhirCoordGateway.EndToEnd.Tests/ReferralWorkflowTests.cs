using System.Net;
using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Core.Workflows;
using FhirCoordGateway.Delivery;
using Hangfire;
using Hangfire.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The referral workflow of issue 7 through FhirClient, the change feed and Hangfire on a database of its own:
/// a referral ServiceRequest gets its tracking Task, the specialist moves it with plain updates (illegal steps
/// refused), completes it with a report, which completes the ServiceRequest and goes back to the MT by secure messaging.
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class ReferralWorkflowTests : IClassFixture<ReferralWorkflowTests.Gateway>
{
    private readonly Gateway _gateway;
    private readonly FhirClient _fhir;

    public ReferralWorkflowTests(Gateway gateway)
    {
        _gateway = gateway;
        _fhir = gateway.Factory.Fhir();
    }

    [Fact]
    public async Task A_referral_goes_from_requested_to_completed_with_the_report_linked_and_sent_back_to_the_mt()
    {
        var referral = await ReferralAsync();
        var task = await WaitForTaskAsync(referral.Request.Id);
        Assert.Equal(ReferralTracking.TaskId(referral.Request.Id), task.Id);
        Assert.Equal(FhirTask.TaskStatus.Requested, task.Status);
        Assert.Equal(referral.Specialist, task.Owner.Reference);
        Assert.Equal(referral.Mt, task.Requester.Reference);
        Assert.Equal($"Patient/{referral.Patient.Id}", task.For.Reference);

        task = await MoveAsync(task, FhirTask.TaskStatus.Received);
        task = await MoveAsync(task, FhirTask.TaskStatus.Accepted);
        task = await MoveAsync(task, FhirTask.TaskStatus.InProgress);
        Assert.Equal("4", task.Meta.VersionId);

        var withoutReport = await Assert.ThrowsAsync<FhirOperationException>(() => MoveAsync(task, FhirTask.TaskStatus.Completed));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, withoutReport.Status);
        Assert.Equal(["Task.output"], withoutReport.Outcome.Issue[0].Expression);

        var report = await ReportAsync(referral.Patient, author: referral.Specialist);
        task.Output.Add(new FhirTask.OutputComponent
        {
            Type = new CodeableConcept("http://loinc.org", "11488-4", "Compte rendu de consultation"),
            Value = new ResourceReference($"DocumentReference/{report.Id}"),
        });
        task.ExecutionPeriod = new Period { End = "2026-11-20T10:00:00Z" };
        var completed = await MoveAsync(task, FhirTask.TaskStatus.Completed);

        Assert.Equal($"DocumentReference/{report.Id}", ((ResourceReference)completed.Output.Single().Value).Reference);
        await WaitUntilAsync(async () => (await _fhir.ReadAsync<ServiceRequest>($"ServiceRequest/{referral.Request.Id}"))!.Status == RequestStatus.Completed);
        var deliveries = new List<FhirTask>();
        await WaitUntilAsync(
            async () =>
            {
                deliveries = (await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{report.Id}"]))!.Entry.Select(e => (FhirTask)e.Resource).ToList();
                return deliveries.Any(t => t.Owner?.Reference == referral.Mt);
            },
            () => string.Join(", ", deliveries.Select(t => $"{t.Code.Coding[0].Code} {t.Owner?.Reference} {t.Status} {t.StatusReason?.Text}")));
        // The routing addressed the report to the MT by secure messaging (sending it is DeliveryRoutingTests' subject).
        var toMt = Assert.Single(deliveries, t => t.Owner?.Reference == referral.Mt);
        Assert.Equal("secure-messaging", toMt.Code.Coding[0].Code);
        Assert.Contains(toMt.Input, i => i.Value is FhirString { Value: var address } && address == referral.MtMailbox);
        Assert.DoesNotContain(_gateway.Mail.Calls, c => c.DocumentId == report.Id && c.Address == referral.SpecialistMailbox);
    }

    [Fact]
    public async Task Illegal_transitions_are_conflicts_and_change_nothing()
    {
        var referral = await ReferralAsync();
        var task = await WaitForTaskAsync(referral.Request.Id);

        var skip = await Assert.ThrowsAsync<FhirOperationException>(() => MoveAsync(task, FhirTask.TaskStatus.InProgress));
        Assert.Equal(HttpStatusCode.Conflict, skip.Status);
        Assert.Equal(OperationOutcome.IssueType.Conflict, skip.Outcome.Issue[0].Code);
        Assert.Equal(["Task.status"], skip.Outcome.Issue[0].Expression);

        var rejected = await MoveAsync(await MoveAsync(task, FhirTask.TaskStatus.Received), FhirTask.TaskStatus.Rejected);
        var reopen = await Assert.ThrowsAsync<FhirOperationException>(() => MoveAsync(rejected, FhirTask.TaskStatus.InProgress));
        Assert.Equal(HttpStatusCode.Conflict, reopen.Status);
        Assert.Equal(FhirTask.TaskStatus.Rejected, (await _fhir.ReadAsync<FhirTask>($"Task/{task.Id}"))!.Status);
        Assert.Equal(RequestStatus.Active, (await _fhir.ReadAsync<ServiceRequest>($"ServiceRequest/{referral.Request.Id}"))!.Status);
    }

    [Fact]
    public async Task A_report_written_by_someone_else_than_the_specialist_cannot_complete_the_referral()
    {
        var referral = await ReferralAsync();
        var task = await WaitForTaskAsync(referral.Request.Id);
        task = await MoveAsync(await MoveAsync(task, FhirTask.TaskStatus.Accepted), FhirTask.TaskStatus.InProgress);
        var report = await ReportAsync(referral.Patient, author: referral.Mt);
        task.Output.Add(new FhirTask.OutputComponent { Type = new CodeableConcept("http://loinc.org", "11488-4"), Value = new ResourceReference($"DocumentReference/{report.Id}") });

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => MoveAsync(task, FhirTask.TaskStatus.Completed));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Task.output"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task A_tracking_task_cannot_be_created_in_an_advanced_state()
    {
        var referral = await ReferralAsync();
        var forged = new FhirTask
        {
            Status = FhirTask.TaskStatus.Completed,
            Intent = FhirTask.TaskIntent.Order,
            Code = WorkflowTasks.Code(WorkflowTasks.Referral, "Track the referral"),
            Focus = new ResourceReference($"ServiceRequest/{referral.Request.Id}"),
        };

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.CreateAsync(forged));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Task.status"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task The_revision_review_is_a_daily_recurring_hangfire_job()
    {
        using var connection = _gateway.Factory.Services.GetRequiredService<JobStorage>().GetConnection();
        var job = Assert.Single(connection.GetRecurringJobs([PpsRevisionJob.Id]));
        Assert.Equal(PpsRevisionJob.Schedule, job.Cron);
        Assert.Equal(typeof(PpsRevisionJob), job.Job.Type);
    }

    private async Task<FhirTask> MoveAsync(FhirTask task, FhirTask.TaskStatus status)
    {
        task.Status = status;
        return (await _fhir.UpdateAsync(task))!;
    }

    private sealed record Referral(Patient Patient, string Mt, string MtMailbox, string Specialist, string SpecialistMailbox, ServiceRequest Request);

    private async Task<Referral> ReferralAsync()
    {
        var mtMailbox = $"{TestData.Unique("mt")}@medecin.mssante.fr";
        var specialistMailbox = $"{TestData.Unique("cardio")}@chu.mssante.fr";
        var mt = await WorkflowData.RoleAsync(_fhir, mtMailbox);
        var specialist = await WorkflowData.RoleAsync(_fhir, specialistMailbox);
        var patient = TestData.Patient();
        patient.GeneralPractitioner = [new ResourceReference(mt)];
        patient = (await _fhir.CreateAsync(patient))!;
        var request = await _fhir.CreateAsync(new ServiceRequest
        {
            Status = RequestStatus.Active,
            Intent = RequestIntent.Order,
            Category = [new CodeableConcept(ReferralTracking.SnomedSystem, ReferralTracking.ReferralCode, "Patient referral")],
            Priority = RequestPriority.Routine,
            Code = new CodeableConcept("http://snomed.info/sct", "183519002", "Referral to cardiology service"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            AuthoredOn = "2026-11-10T09:00:00Z",
            Requester = new ResourceReference(mt),
            Performer = [new ResourceReference(specialist)],
            ReasonCode = [new CodeableConcept { Text = "Dyspnée d'effort" }],
        });
        return new Referral(patient, mt, mtMailbox, specialist, specialistMailbox, request!);
    }

    private async Task<DocumentReference> ReportAsync(Patient patient, string author) =>
        (await _fhir.CreateAsync(new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://loinc.org", "11488-4"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Author = [new ResourceReference(author)],
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF-1.4 CR consultation"u8.ToArray() } }],
        }))!;

    private async Task<FhirTask> WaitForTaskAsync(string requestId)
    {
        FhirTask? task = null;
        await WaitUntilAsync(async () =>
        {
            var found = await _fhir.SearchAsync<FhirTask>([$"focus=ServiceRequest/{requestId}", $"code={WorkflowTasks.ReferralCodeToken}"]);
            task = found!.Entry.Select(e => (FhirTask)e.Resource).SingleOrDefault();
            return task is not null;
        });
        return task!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The workflow did not reach the expected state in 60 s. {state?.Invoke()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>One gateway with background work (change feed, Hangfire) on a database of its own.</summary>
    public sealed class Gateway : IDisposable
    {
        public DeliveryRoutingTests.RecordingMail Mail { get; } = new();

        public GatewayFactory Factory { get; }

        public Gateway()
        {
            Factory = GatewayFactory.With(
                new Dictionary<string, string>
                {
                    ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("workflow_referral"),
                    ["Jobs:RunServer"] = "true",
                    ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
                },
                services =>
                {
                    services.AddSingleton<ISharedRecordConnector>(new DeliveryRoutingTests.RecordingSharedRecord());
                    services.AddSingleton<ISecureMessagingConnector>(Mail);
                });
            _ = Factory.Server;
        }

        public void Dispose() => Factory.Dispose();
    }
}
