using System.Collections.Concurrent;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Delivery;
using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The delivery spine of issue 6 through the whole gateway: a posted document goes through the change feed,
/// the routing rules, delivery Tasks and Hangfire jobs on the real PostgreSQL, to connectors that record what
/// they are asked to send (the peers themselves are covered by the connector contract tests).
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class DeliveryRoutingTests : IClassFixture<DeliveryRoutingTests.Gateway>
{
    private readonly Gateway _gateway;
    private readonly FhirClient _fhir;

    public DeliveryRoutingTests(Gateway gateway)
    {
        _gateway = gateway;
        _fhir = gateway.Factory.Fhir();
    }

    [Fact]
    public async Task A_discharge_summary_goes_once_to_the_shared_record_the_gp_and_the_care_team_but_not_its_author()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);

        var tasks = await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed);

        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id);
        Assert.Equal(
            new[] { care.GpMailbox, care.NurseMailbox }.Order(),
            _gateway.Mail.Calls.Where(c => c.DocumentId == document.Id).Select(c => c.Address).Order());
        Assert.Contains(tasks, t => t.Code.Coding[0].Code == "shared-record" && t.BusinessStatus.Coding[0].Code == "stored");
        Assert.All(tasks, t => Assert.Equal($"Patient/{care.Patient.Id}", t.For.Reference));
    }

    [Fact]
    public async Task The_author_never_receives_their_own_document()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.GpRole);

        await WaitForDeliveriesAsync(document, 2, t => t.Status == FhirTask.TaskStatus.Completed);

        Assert.Equal([care.NurseMailbox], _gateway.Mail.Calls.Where(c => c.DocumentId == document.Id).Select(c => c.Address));
    }

    [Fact]
    public async Task A_patient_who_opposed_the_shared_record_gets_nothing_sent_there()
    {
        var care = await CareCircleAsync();
        await _fhir.CreateAsync(new Consent
        {
            Status = Consent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            Category = [new CodeableConcept("http://loinc.org", "59284-0")],
            Patient = new ResourceReference($"Patient/{care.Patient.Id}"),
            Policy = [new Consent.PolicyComponent { Uri = "https://fhircoord.example/fhir/policy/shared-record" }],
            Provision = new Consent.provisionComponent
            {
                Type = Consent.ConsentProvisionType.Deny,
                Purpose = [new Coding("https://fhircoord.example/fhir/CodeSystem/fhircoord-sharing-purpose", "shared-record")],
            },
        });
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);

        var tasks = await WaitForDeliveriesAsync(document, 2, t => t.Status == FhirTask.TaskStatus.Completed);

        Assert.All(tasks, t => Assert.Equal("secure-messaging", t.Code.Coding[0].Code));
        Assert.DoesNotContain(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id);
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_backoff_until_the_peer_accepts()
    {
        var care = await CareCircleAsync();
        _gateway.SharedRecord.FailNext(2, transient: true);
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);

        var shared = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");

        Assert.Equal(3, ((UnsignedInt)shared.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value);
        Assert.Equal(3, _gateway.SharedRecord.Calls.Count(c => c.DocumentId == document.Id));
        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id && c.Succeeded);
        // The first attempt submits; each retry first asks whether the failed attempt's document arrived anyway.
        var calls = _gateway.SharedRecord.Calls.Where(c => c.DocumentId == document.Id).ToList();
        Assert.Single(calls, c => !c.EarlierAttemptUnknown);
        Assert.Equal(2, calls.Count(c => c.EarlierAttemptUnknown));
    }

    /// <summary>The AuditEvents of the gateway's own transmissions (DICOM "Export"), not those of the test's reads.</summary>
    private const string Transmissions = "type=http://dicom.nema.org/resources/ontology/DCM|110106";

    [Fact]
    public async Task Every_delivery_attempt_leaves_an_AuditEvent_committed_with_the_delivery_state()
    {
        var care = await CareCircleAsync();
        _gateway.SharedRecord.FailNext(1, transient: true);
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);

        var tasks = await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed);

        // No waiting: each attempt's AuditEvent was committed with the Task version that recorded the attempt.
        var auditor = _gateway.Factory.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-delivery"));
        foreach (var task in tasks)
        {
            var audits = (await auditor.SearchAsync<AuditEvent>([$"entity=Task/{task.Id}", Transmissions]))!.Entry.Select(e => (AuditEvent)e.Resource)
                .OrderBy(a => a.Recorded).ToList();
            var shared = task.Code.Coding[0].Code == "shared-record";
            Assert.Equal(shared ? [AuditEvent.AuditEventOutcome.N4, AuditEvent.AuditEventOutcome.N0] : [AuditEvent.AuditEventOutcome.N0], audits.Select(a => a.Outcome));
            Assert.All(audits, a =>
            {
                Assert.Equal("110106", a.Type.Code);
                Assert.Equal(task.Code.Coding[0].Code, a.Subtype.Single().Code);
                Assert.Equal("fhircoord-gateway", a.Agent.Single(x => x.Requestor == true).Who.Identifier.Value);
                Assert.Equal(shared ? "shared-record" : ((FhirString)task.Input.Single(i => i.Type.Coding[0].Code == "address").Value).Value,
                    a.Agent.Single(x => x.Requestor == false).Who.Identifier.Value);
                Assert.Contains(a.Entity, e => e.What.Reference == $"DocumentReference/{document.Id}/_history/1");
                Assert.Contains(a.Entity, e => e.What.Reference == $"Patient/{care.Patient.Id}" && e.Role.Code == "1");
                Assert.DoesNotContain("%PDF", FhirJsonSerializer.Default.SerializeToString(a), StringComparison.Ordinal);
            });
            if (shared)
            {
                Assert.Equal("503 from the shared record", audits[0].OutcomeDesc);
            }
        }
    }

    [Fact]
    public async Task A_permanent_failure_fails_fast_and_retry_requeues_it()
    {
        var care = await CareCircleAsync();
        _gateway.SharedRecord.FailNext(1, transient: false);
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);

        var failed = (await WaitForDeliveriesAsync(document, 3, t => t.Code.Coding[0].Code != "shared-record" || t.Status == FhirTask.TaskStatus.Failed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");
        Assert.Equal("failed", failed.BusinessStatus.Coding[0].Code);
        Assert.Contains("refused", failed.StatusReason.Text);
        var failedSearch = await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{document.Id}", "status=failed"]);
        Assert.Single(failedSearch!.Entry);
        var auditor = _gateway.Factory.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-delivery"));
        var failedAudit = Assert.Single((await auditor.SearchAsync<AuditEvent>([$"entity=Task/{failed.Id}", Transmissions]))!.Entry);
        Assert.Equal(AuditEvent.AuditEventOutcome.N8, ((AuditEvent)failedAudit.Resource).Outcome);

        var requeued = await RetryAsync(failed.Id);
        Assert.Equal(FhirTask.TaskStatus.Ready, ((FhirTask)requeued!).Status);

        await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed);
        Assert.Equal(2, _gateway.SharedRecord.Calls.Count(c => c.DocumentId == document.Id));
    }

    [Fact]
    public async Task Retry_of_a_delivery_that_has_not_failed_is_a_conflict()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var done = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed)).First();

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => RetryAsync(done.Id));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, error.Status);
    }

    [Fact]
    public async Task Running_a_finished_delivery_again_sends_nothing_and_an_interrupted_one_asks_first()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var shared = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");
        var job = _gateway.Factory.Services.GetRequiredService<FhirCoordGateway.Delivery.Jobs.DeliveryJob>();

        await job.RunAsync(shared.Id, CancellationToken.None);
        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id);

        // An attempt that died after marking the delivery in progress: the next run must ask before submitting.
        shared = await _fhir.ReadAsync<FhirTask>($"Task/{shared.Id}");
        shared!.Status = FhirTask.TaskStatus.InProgress;
        await _fhir.UpdateAsync(shared);
        await job.RunAsync(shared.Id, CancellationToken.None);
        Assert.Contains(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id && c.EarlierAttemptUnknown);
        Assert.Equal(FhirTask.TaskStatus.Completed, (await _fhir.ReadAsync<FhirTask>($"Task/{shared.Id}"))!.Status);
    }

    [Fact]
    public async Task An_attempt_that_died_in_progress_makes_the_next_one_ask_first_and_counts()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var shared = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");
        var job = _gateway.Factory.Services.GetRequiredService<FhirCoordGateway.Delivery.Jobs.DeliveryJob>();

        // What a fourth attempt leaves when its process dies after marking the delivery in progress, before the answer.
        DeliveryTask.StartAttempt(shared, 4, DateTimeOffset.UtcNow);
        await _fhir.UpdateAsync(shared);
        await job.RunAsync(shared.Id, CancellationToken.None);

        Assert.Contains(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id && c.EarlierAttemptUnknown);
        var done = (await _fhir.ReadAsync<FhirTask>($"Task/{shared.Id}"))!;
        Assert.Equal(FhirTask.TaskStatus.Completed, done.Status);
        Assert.Equal(5, ((UnsignedInt)done.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value);
    }

    [Fact]
    public async Task Routing_a_feed_batch_again_after_a_crash_makes_no_Task_twice_and_sends_nothing_twice()
    {
        var care = await CareCircleAsync();
        var first = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var second = await PostDocumentAsync(care.Patient, author: care.GpRole);
        var before = (await WaitForDeliveriesAsync(first, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Concat(await WaitForDeliveriesAsync(second, 2, t => t.Status == FhirTask.TaskStatus.Completed))
            .ToDictionary(t => t.Id, t => t.Meta.VersionId);

        // The same change-feed batch handed out again (the node died before saving its position), with an entry routing ignores.
        var routing = _gateway.Factory.Services.GetServices<IChangeConsumer>().Single(c => c.Name == "document-routing");
        ChangeEntry Created(string type, string id, long seq) =>
            new(new ChangeFeedPosition(1, seq), type, id, 1, ChangeOperation.Create, DateTimeOffset.UtcNow);
        await routing.HandleAsync([Created("DocumentReference", first.Id, 1), Created("Task", before.Keys.First(), 2), Created("DocumentReference", second.Id, 3)], CancellationToken.None);

        var after = (await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{first.Id},DocumentReference/{second.Id}", "_count=50"]))!
            .Entry.Select(e => (FhirTask)e.Resource).ToList();
        Assert.Equal(before, after.ToDictionary(t => t.Id, t => t.Meta.VersionId));
        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == first.Id);
        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == second.Id);
        Assert.Single(_gateway.Mail.Calls, c => c.DocumentId == second.Id);
    }

    [Fact]
    public async Task Ensuring_a_batch_of_deliveries_keeps_those_that_exist_and_creates_the_others_in_order()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var existing = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");
        var tracker = _gateway.Factory.Services.GetRequiredService<DeliveryTracker>();
        var newA = Fresh(document, care.Patient, $"{TestData.Unique("a")}@x.mssante.fr");
        var newB = Fresh(document, care.Patient, $"{TestData.Unique("b")}@x.mssante.fr");
        var again = Fresh(document, care.Patient, address: null);
        Assert.Equal(existing.Id, again.Id);

        var result = await tracker.EnsureAllAsync([newA, again, newB], CancellationToken.None);

        Assert.Equal([newA.Id, existing.Id, newB.Id], result.Select(r => r.Delivery.Task.Id));
        Assert.Equal([true, false, true], result.Select(r => r.Created));
        Assert.Equal(FhirTask.TaskStatus.Completed, result[1].Delivery.Task.Status);
        Assert.Equal(existing.Meta.VersionId, (await _fhir.ReadAsync<FhirTask>($"Task/{existing.Id}"))!.Meta.VersionId);
        foreach (var created in new[] { newA, newB })
        {
            var stored = (await _fhir.ReadAsync<FhirTask>($"Task/{created.Id}"))!;
            Assert.Equal(("1", FhirTask.TaskStatus.Ready), (stored.Meta.VersionId, stored.Status));
        }
    }

    [Fact]
    public async Task A_batch_job_attempts_each_of_its_deliveries_and_sends_nothing_already_delivered()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        var shared = (await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed))
            .Single(t => t.Code.Coding[0].Code == "shared-record");
        var address = $"{TestData.Unique("late")}@x.mssante.fr";
        var late = Fresh(document, care.Patient, address);
        await _gateway.Factory.Services.GetRequiredService<DeliveryTracker>().EnsureAllAsync([late], CancellationToken.None);
        var job = _gateway.Factory.Services.GetRequiredService<FhirCoordGateway.Delivery.Jobs.DeliveryJob>();

        await job.RunAllAsync([shared.Id, late.Id, "dlv-not-a-delivery"], CancellationToken.None);

        Assert.Single(_gateway.SharedRecord.Calls, c => c.DocumentId == document.Id);
        Assert.Single(_gateway.Mail.Calls, c => c.Address == address);
        var delivered = (await _fhir.ReadAsync<FhirTask>($"Task/{late.Id}"))!;
        Assert.Equal((FhirTask.TaskStatus.Completed, "sent"), (delivered.Status, delivered.BusinessStatus.Coding[0].Code));
        Assert.Equal(shared.Meta.VersionId, (await _fhir.ReadAsync<FhirTask>($"Task/{shared.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task Finished_jobs_leave_the_succeeded_total_but_no_per_day_or_per_hour_history_counters()
    {
        var care = await CareCircleAsync();
        var document = await PostDocumentAsync(care.Patient, author: care.HospitalRole);
        await WaitForDeliveriesAsync(document, 3, t => t.Status == FhirTask.TaskStatus.Completed);

        await using var dataSource = Npgsql.NpgsqlDataSource.Create(_gateway.ConnectionString);
        async Task<long> CountersAsync(string pattern)
        {
            await using var cmd = dataSource.CreateCommand("""
                SELECT (SELECT count(*) FROM hangfire.counter WHERE key LIKE $1) + (SELECT count(*) FROM hangfire.aggregatedcounter WHERE key LIKE $1)
                """);
            cmd.Parameters.AddWithValue(pattern);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }

        // Delivery jobs succeeded (the total the dashboard shows), and the history filter (docs/adr/0017) wrote nothing.
        Assert.True(await CountersAsync("stats:succeeded") > 0);
        Assert.Equal(0, await CountersAsync("stats:succeeded:%"));
        Assert.DoesNotContain(Hangfire.GlobalJobFilters.Filters, f => f.Instance is Hangfire.StatisticsHistoryAttribute or Hangfire.ContinuationsSupportAttribute);
    }

    /// <summary>A new delivery of version 1 of <paramref name="document"/>: by secure messaging to <paramref name="address"/>, or to the shared record.</summary>
    private static FhirTask Fresh(DocumentReference document, Patient patient, string? address)
    {
        var target = address is null
            ? new DeliveryTarget(DeliveryChannel.SharedRecord, null, null, "test")
            : new DeliveryTarget(DeliveryChannel.SecureMessaging, address, null, "test");
        return DeliveryTask.New(DeliveryTracker.DeliveryId(document.Id, 1, target), target, document.Id, 1, patient.Id, DateTimeOffset.UtcNow);
    }

    private Task<Resource?> RetryAsync(string taskId) =>
        _fhir.OperationAsync(new Uri($"{_fhir.Endpoint.ToString().TrimEnd('/')}/Task/{taskId}/$retry"));

    private sealed record CareCircle(Patient Patient, string GpRole, string HospitalRole, string GpMailbox, string NurseMailbox);

    /// <summary>A patient whose médecin traitant and care-team nurse have MSSanté mailboxes, and a hospital practitioner.</summary>
    private async Task<CareCircle> CareCircleAsync()
    {
        var gpMailbox = $"{TestData.Unique("gp")}@medecin.mssante.fr";
        var nurseMailbox = $"{TestData.Unique("ide")}@infirmier.mssante.fr";
        var gp = await WorkflowData.RoleAsync(_fhir, gpMailbox);
        var nurse = await WorkflowData.RoleAsync(_fhir, nurseMailbox);
        var hospital = await WorkflowData.RoleAsync(_fhir, $"{TestData.Unique("chu")}@chu.mssante.fr");
        var patient = TestData.Patient();
        patient.GeneralPractitioner = [new ResourceReference(gp)];
        patient = (await _fhir.CreateAsync(patient))!;
        await _fhir.CreateAsync(new CareTeam
        {
            Status = CareTeam.CareTeamStatus.Active,
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Participant = [new CareTeam.ParticipantComponent { Member = new ResourceReference(gp) }, new CareTeam.ParticipantComponent { Member = new ResourceReference(nurse) }],
        });
        return new CareCircle(patient, gp, hospital, gpMailbox, nurseMailbox);
    }

    private async Task<DocumentReference> PostDocumentAsync(Patient patient, string author) =>
        (await _fhir.CreateAsync(new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://loinc.org", "34112-3"),
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Author = [new ResourceReference(author)],
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF-1.4 CRH"u8.ToArray() } }],
        }))!;

    private async Task<List<FhirTask>> WaitForDeliveriesAsync(DocumentReference document, int count, Func<FhirTask, bool> done)
    {
        List<FhirTask> tasks = [];
        await Eventually.UntilAsync(async () =>
        {
            var bundle = await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{document.Id}"]);
            tasks = bundle!.Entry.Select(e => (FhirTask)e.Resource).ToList();
            return tasks.Count == count && tasks.All(done);
        }, $"{count} finished deliveries of DocumentReference/{document.Id}", () => DeliveryStates(tasks));
        return tasks;
    }

    /// <summary>One line per delivery: channel, status, step, reason.</summary>
    public static string DeliveryStates(IEnumerable<FhirTask> tasks) =>
        string.Join("; ", tasks.Select(t => $"{t.Code.Coding[0].Code} {t.Status} {t.BusinessStatus?.Coding[0].Code} {t.StatusReason?.Text}"));

    /// <summary>One gateway with background work on a database of its own, and recording connectors.</summary>
    public sealed class Gateway : IDisposable
    {
        public RecordingSharedRecord SharedRecord { get; } = new();

        public RecordingMail Mail { get; } = new();

        public GatewayFactory Factory { get; }

        public string ConnectionString { get; } = GatewayFactory.OwnDatabase("delivery_routing");

        public Gateway()
        {
            Factory = GatewayFactory.With(
                new Dictionary<string, string>
                {
                    ["ConnectionStrings:Fhir"] = ConnectionString,
                    ["Jobs:RunServer"] = "true",
                    ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
                    ["Delivery:Retry:BaseDelay"] = "00:00:00.100",
                },
                services =>
                {
                    services.AddSingleton<ISharedRecordConnector>(SharedRecord);
                    services.AddSingleton<ISecureMessagingConnector>(Mail);
                });
            _ = Factory.Server; // start now: migrations, Hangfire schema, change feed
        }

        public void Dispose() => Factory.Dispose();
    }

    public sealed record Call(string DocumentId, string? Address, bool EarlierAttemptUnknown, bool Succeeded);

    /// <summary>Records submissions; can be told to fail the next ones.</summary>
    public sealed class RecordingSharedRecord : ISharedRecordConnector
    {
        private int _failures;
        private bool _transient;

        public ConcurrentBag<Call> Calls { get; } = [];

        public void FailNext(int count, bool transient)
        {
            _transient = transient;
            _failures = count;
        }

        public Task<DeliveryReceipt> SubmitAsync(OutboundDocument document, bool earlierAttemptUnknown, CancellationToken ct)
        {
            var fail = Interlocked.Decrement(ref _failures) >= 0;
            Calls.Add(new Call(document.Document.Id, null, earlierAttemptUnknown, !fail));
            return fail
                ? throw new DeliveryFailedException(_transient ? "503 from the shared record" : "400: the shared record refused the bundle", _transient)
                : Task.FromResult(new DeliveryReceipt($"DocumentReference/remote-{document.Document.Id}", null));
        }
    }

    public sealed class RecordingMail : ISecureMessagingConnector
    {
        public ConcurrentBag<Call> Calls { get; } = [];

        public Task<DeliveryReceipt> SendAsync(OutboundDocument document, string recipientAddress, string deliveryId, CancellationToken ct)
        {
            Calls.Add(new Call(document.Document.Id, recipientAddress, false, true));
            return Task.FromResult(new DeliveryReceipt(null, $"<delivery-{deliveryId}@gateway.test>"));
        }
    }
}
