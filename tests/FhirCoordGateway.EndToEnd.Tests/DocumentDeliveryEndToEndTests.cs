using System.Net;
using System.Text;
using FhirCoordGateway.Delivery.Tests.SecureMessaging;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using MimeKit;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Issue 6 end to end with the real connectors: a hospital posts a discharge summary (CRH), the shared record
/// (WireMock, remembering what it stored) receives it once by ITI-65, the médecin traitant's mailbox (a real SMTP
/// server requiring STARTTLS and a client certificate) receives it, and the delivery Tasks complete; MDNs posted
/// back acknowledge or reject; a PPS version becomes a document that replaces the previous version's.
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class DocumentDeliveryEndToEndTests : IClassFixture<DocumentDeliveryEndToEndTests.Peers>
{
    private readonly Peers _peers;
    private readonly FhirClient _fhir;

    public DocumentDeliveryEndToEndTests(Peers peers)
    {
        _peers = peers;
        _fhir = peers.Gateway.Fhir();
    }

    [Fact]
    public async Task A_posted_discharge_summary_reaches_the_shared_record_once_and_the_gp_mailbox()
    {
        var care = await CareAsync();
        var crh = await PostCrhAsync(care);

        var tasks = await WaitForAsync(crh, 2, t => t.Status == FhirTask.TaskStatus.Completed);

        var stored = Assert.Single(_peers.SharedRecord.StoredDocuments, d => Sent(d, crh));
        Assert.Equal("34112-3", stored.Type.Coding[0].Code);
        var mail = tasks.Single(t => t.Code.Coding[0].Code == "secure-messaging");
        var message = _peers.Smtp.Received(MessageId(mail)) ?? throw new Xunit.Sdk.XunitException("The GP's mailbox received nothing.");
        Assert.Equal(care.GpMailbox, message.To.Mailboxes.Single().Address);
        Assert.Contains(message.Attachments, a => a is MimePart { FileName: "IHE_XDM.ZIP" });
    }

    [Fact]
    public async Task With_the_shared_record_down_for_a_while_the_delivery_retries_and_completes_once_it_is_back()
    {
        var care = await CareAsync();
        _peers.SharedRecord.Down = true;
        DocumentReference crh;
        try
        {
            var before = _peers.SharedRecord.Refused;
            crh = await PostCrhAsync(care);
            await Eventually.UntilAsync(() => _peers.SharedRecord.Refused >= before + 2, "two refused attempts");
        }
        finally
        {
            _peers.SharedRecord.Down = false; // never leave the peer down for the next test of the class
        }

        var shared = (await WaitForAsync(crh, 2, t => t.Status == FhirTask.TaskStatus.Completed)).Single(t => t.Code.Coding[0].Code == "shared-record");

        Assert.Single(_peers.SharedRecord.StoredDocuments, d => Sent(d, crh));
        Assert.True(((UnsignedInt)shared.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value >= 3);
    }

    [Fact]
    public async Task A_submission_whose_answer_times_out_is_looked_up_by_the_next_attempt_and_stored_only_once()
    {
        var care = await CareAsync();
        // Stored at once, answered after the gateway's 5 s timeout: the attempt fails without knowing the outcome.
        _peers.SharedRecord.AnswerSlowly(1, TimeSpan.FromSeconds(7));
        var crh = await PostCrhAsync(care);

        var shared = (await WaitForAsync(crh, 2, t => t.Status == FhirTask.TaskStatus.Completed)).Single(t => t.Code.Coding[0].Code == "shared-record");

        Assert.Single(_peers.SharedRecord.StoredDocuments, d => Sent(d, crh));
        Assert.Equal(2, ((UnsignedInt)shared.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value);
    }

    [Fact]
    public async Task While_the_shared_record_takes_its_time_the_delivery_is_seen_in_progress_then_completed()
    {
        var care = await CareAsync();
        // Stored at once, answered after 3 s (within the 5 s timeout): the attempt is under way meanwhile.
        _peers.SharedRecord.AnswerSlowly(1, TimeSpan.FromSeconds(3));
        var crh = await PostCrhAsync(care);
        await Eventually.UntilAsync(() => _peers.SharedRecord.StoredDocuments.Any(d => Sent(d, crh)), "the shared record has the document");

        // The peer has it and has not answered: the Task was marked in progress, committed, before the peer was contacted.
        var running = await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{crh.Id}", "status=in-progress", SharedRecordChannel]);
        var inProgress = (FhirTask)Assert.Single(running.Entry).Resource;
        Assert.Equal(("shared-record", "sending"), (inProgress.Code.Coding[0].Code, inProgress.BusinessStatus.Coding[0].Code));
        Assert.Equal(1, ((UnsignedInt)inProgress.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value);
        Assert.NotNull(inProgress.ExecutionPeriod.Start);

        var shared = (await WaitForAsync(crh, 2, t => t.Status == FhirTask.TaskStatus.Completed)).Single(t => t.Code.Coding[0].Code == "shared-record");
        Assert.Equal(("stored", 1), (shared.BusinessStatus.Coding[0].Code, ((UnsignedInt)shared.Output.Single(o => o.Type.Coding[0].Code == "attempts").Value).Value));
        Assert.Equal(inProgress.ExecutionPeriod.Start, shared.ExecutionPeriod.Start);
        Assert.Single(_peers.SharedRecord.StoredDocuments, d => Sent(d, crh));
        Assert.Empty((await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{crh.Id}", "status=in-progress", SharedRecordChannel])).Entry);
    }

    private const string SharedRecordChannel = "code=https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-channel|shared-record";

    [Fact]
    public async Task With_a_consent_opposition_nothing_goes_to_the_shared_record()
    {
        var care = await CareAsync();
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
        var crh = await PostCrhAsync(care);

        var task = Assert.Single(await WaitForAsync(crh, 1, t => t.Status == FhirTask.TaskStatus.Completed));

        Assert.Equal("secure-messaging", task.Code.Coding[0].Code);
        Assert.DoesNotContain(_peers.SharedRecord.StoredDocuments, d => Sent(d, crh));
    }

    [Fact]
    public async Task An_mdn_processed_acknowledges_the_delivery_and_an_error_mdn_rejects_it()
    {
        var first = await DeliveredMailAsync();
        var acknowledged = await AcknowledgeAsync(first, "automatic-action/MDN-sent-automatically; processed");
        Assert.Equal("acknowledged", acknowledged.BusinessStatus.Coding[0].Code);
        Assert.Equal(FhirTask.TaskStatus.Completed, acknowledged.Status);

        var second = await DeliveredMailAsync();
        var rejected = await AcknowledgeAsync(second, "automatic-action/MDN-sent-automatically; processed/Error: 902^Patient inconnu");
        Assert.Equal("rejected", rejected.BusinessStatus.Coding[0].Code);
        Assert.Equal(FhirTask.TaskStatus.Failed, rejected.Status);
        Assert.Equal("902^Patient inconnu", rejected.StatusReason.Text);
    }

    [Fact]
    public async Task A_message_that_is_not_an_mdn_is_refused_with_400()
    {
        using var http = _peers.Gateway.CreateClient();
        var response = await http.PostAsync("/fhir/$mssante-acknowledgement", new StringContent("Subject: hello\r\n\r\nnot a report\r\n", Encoding.ASCII, "message/rfc822"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_validated_pps_becomes_a_document_and_its_revision_replaces_it_in_the_shared_record()
    {
        var care = await CareAsync();
        var plan = DocumentData.Example<CarePlan>("fhircoord-careplan-pps", "valid-lefebvre-validated.json");
        plan.Id = null;
        plan.Subject = new ResourceReference($"Patient/{care.Patient.Id}");
        plan.Author = new ResourceReference(care.GpRole);
        // A PPS becomes active only through the médecin traitant's validation (issue 7): written as a draft, then validated.
        plan.Status = RequestStatus.Draft;
        plan.Extension.RemoveAll(e => e.Url.EndsWith("/fhircoord-pps-mt-validation", StringComparison.Ordinal));
        plan = await _fhir.CreateAsync(plan);
        plan = await WorkflowData.ValidateAsync(_peers.Gateway, plan.Id, care.GpRole);

        var firstDocument = await WaitForPpsDocumentAsync(plan, "2");
        Assert.Equal("18776-5", firstDocument.Type.Coding[0].Code);
        await WaitForAsync(firstDocument, 1, t => t.Status == FhirTask.TaskStatus.Completed); // the GP wrote it: only the shared record

        plan.Description = "Révision : passage de l'infirmière deux fois par semaine.";
        plan = await _fhir.UpdateAsync(plan);
        var secondDocument = await WaitForPpsDocumentAsync(plan, "3");
        await WaitForAsync(secondDocument, 1, t => t.Status == FhirTask.TaskStatus.Completed);

        Assert.Equal($"DocumentReference/{firstDocument.Id}", secondDocument.RelatesTo.Single().Target.Reference);
        Assert.Equal(DocumentReferenceStatus.Superseded, (await _fhir.ReadAsync<DocumentReference>($"DocumentReference/{firstDocument.Id}")).Status);
        var sentRevision = _peers.SharedRecord.StoredDocuments.Single(d => d.MasterIdentifier.Value == secondDocument.MasterIdentifier.Value);
        Assert.Equal(firstDocument.MasterIdentifier.Value, sentRevision.RelatesTo.Single().Target.Identifier.Value);
    }

    private async Task<FhirTask> DeliveredMailAsync()
    {
        var care = await CareAsync();
        var crh = await PostCrhAsync(care);
        return (await WaitForAsync(crh, 2, t => t.Status == FhirTask.TaskStatus.Completed)).Single(t => t.Code.Coding[0].Code == "secure-messaging");
    }

    /// <summary>Posts the RFC 8098 MDN a receiving system sends back for the delivered message.</summary>
    private async Task<FhirTask> AcknowledgeAsync(FhirTask delivery, string disposition)
    {
        var original = _peers.Smtp.Received(MessageId(delivery))!;
        var report = new MultipartReport("disposition-notification")
        {
            new TextPart("plain") { Text = "Accusé de traitement" },
            new MimePart("message", "disposition-notification")
            {
                Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(
                    $"Reporting-UA: lps.test\r\nFinal-Recipient: rfc822;{original.To.Mailboxes.Single().Address}\r\n" +
                    $"Original-Message-ID: <{original.MessageId}>\r\nDisposition: {disposition}\r\n"))),
            },
        };
        var mdn = new MimeMessage { Subject = "Accusé", Body = report };
        mdn.From.Add(MailboxAddress.Parse(original.To.Mailboxes.Single().Address));
        mdn.To.Add(MailboxAddress.Parse(original.From.Mailboxes.Single().Address));
        using var raw = new MemoryStream();
        await mdn.WriteToAsync(raw);
        using var http = _peers.Gateway.CreateClient();
        var response = await http.PostAsync("/fhir/$mssante-acknowledgement", new ByteArrayContent(raw.ToArray()) { Headers = { ContentType = new("message/rfc822") } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return new FhirJsonDeserializer().Deserialize<FhirTask>(body);
    }

    private static string MessageId(FhirTask mail) =>
        ((FhirString)mail.Output.Single(o => o.Type.Coding[0].Code == "message-id").Value).Value.Trim('<', '>');

    /// <summary>Whether the shared record's copy is our document: the submission keeps the stored uniqueId (masterIdentifier).</summary>
    private static bool Sent(DocumentReference sent, DocumentReference ours) => sent.MasterIdentifier?.Value == ours.MasterIdentifier.Value;

    private sealed record Care(Patient Patient, string GpRole, string HospitalRole, string GpMailbox);

    private async Task<Care> CareAsync()
    {
        var gpMailbox = $"{TestData.Unique("mt")}@medecin.test.mssante.fr";
        var gp = await WorkflowData.RoleAsync(_fhir, gpMailbox);
        var hospital = await WorkflowData.RoleAsync(_fhir, $"{TestData.Unique("chu")}@chu.test.mssante.fr");
        var patient = DocumentData.InsPatient(DocumentData.NewNir()); // the shared record files documents by INS
        patient.GeneralPractitioner = [new ResourceReference(gp)];
        return new Care(await _fhir.CreateAsync(patient), gp, hospital, gpMailbox);
    }

    private async Task<DocumentReference> PostCrhAsync(Care care) => await _fhir.CreateAsync(new DocumentReference
    {
        MasterIdentifier = new Identifier("urn:ietf:rfc:3986", $"urn:oid:1.2.250.1.999.7.9.{Random.Shared.NextInt64(1, long.MaxValue)}"),
        Status = DocumentReferenceStatus.Current,
        Type = new CodeableConcept("http://loinc.org", "34112-3", "CR hospitalier (séjour)"),
        Subject = new ResourceReference($"Patient/{care.Patient.Id}"),
        Date = DateTimeOffset.UtcNow,
        Author = [new ResourceReference(care.HospitalRole)],
        Description = TestData.Unique("crh"),
        Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF-1.4 CRH\n%%EOF\n"u8.ToArray(), Title = "CRH" } }],
    });

    private async Task<DocumentReference> WaitForPpsDocumentAsync(CarePlan plan, string version)
    {
        DocumentReference found = null;
        await Eventually.UntilAsync(async () =>
        {
            var bundle = await _fhir.SearchAsync<DocumentReference>([$"subject=Patient/{plan.Subject.Reference.Split('/')[1]}", "type=http://loinc.org|18776-5"]);
            found = bundle.Entry.Select(e => (DocumentReference)e.Resource)
                .FirstOrDefault(d => d.Context?.Related.Any(r => r.Reference == $"CarePlan/{plan.Id}/_history/{version}") == true);
            return found is not null;
        }, $"the document of CarePlan/{plan.Id}/_history/{version}");
        return found;
    }

    private async Task<List<FhirTask>> WaitForAsync(DocumentReference document, int count, Func<FhirTask, bool> done)
    {
        List<FhirTask> tasks = [];
        await Eventually.UntilAsync(async () =>
        {
            var bundle = await _fhir.SearchAsync<FhirTask>([$"focus=DocumentReference/{document.Id}"]);
            tasks = bundle.Entry.Select(e => (FhirTask)e.Resource).ToList();
            return tasks.Count == count && tasks.All(done);
        }, $"{count} finished deliveries of DocumentReference/{document.Id}", () => DeliveryRoutingTests.DeliveryStates(tasks));
        return tasks;
    }

    /// <summary>The gateway with background work, its own database, the fake shared record and the real SMTP server.</summary>
    public sealed class Peers : IDisposable
    {
        public FakeSharedRecord SharedRecord { get; } = new();

        public SmtpServerFixture Smtp { get; } = new();

        public GatewayFactory Gateway { get; }

        public Peers()
        {
            Gateway = GatewayFactory.WithSettings(new Dictionary<string, string>
            {
                ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("delivery_e2e"),
                ["Jobs:RunServer"] = "true",
                ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
                ["Delivery:Retry:BaseDelay"] = "00:00:00.200",
                ["Delivery:Retry:MaxDelay"] = "00:00:01",
                ["Delivery:Retry:MaxAttempts"] = "30",
                ["Delivery:SharedRecord:BaseUrl"] = SharedRecord.BaseUrl,
                ["Delivery:SharedRecord:SourceOid"] = "1.2.250.1.999.7.3",
                ["Delivery:SharedRecord:TimeoutSeconds"] = "5",
                ["Delivery:SharedRecord:DefaultCustodian:IdentifierSystem"] = "urn:oid:1.2.250.1.71.4.2.2",
                ["Delivery:SharedRecord:DefaultCustodian:IdentifierValue"] = "1999999999",
                ["Delivery:SharedRecord:DefaultCustodian:Name"] = "Cabinet test",
                ["Delivery:SecureMessaging:Host"] = "127.0.0.1",
                ["Delivery:SecureMessaging:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Delivery:SecureMessaging:SenderAddress"] = "passerelle-app@hopital.test.mssante.fr",
                ["Delivery:SecureMessaging:MessageIdDomain"] = "passerelle.test",
                ["Delivery:SecureMessaging:SourceId"] = "1.2.250.1.999.7.3",
                ["Delivery:SecureMessaging:LocalPatientIdOid"] = "1.2.250.1.999.7.4",
                ["Delivery:SecureMessaging:ClientCertificatePath"] = Smtp.Certificates.ClientPkcs12Path,
                ["Delivery:SecureMessaging:ClientCertificatePassword"] = TestCertificates.ClientCertificatePassword,
                ["Delivery:SecureMessaging:TrustedCaPath"] = Smtp.Certificates.CaPemPath,
                ["Delivery:SecureMessaging:CheckCertificateRevocation"] = "false",
            });
            _ = Gateway.Server;
        }

        public void Dispose()
        {
            Gateway.Dispose();
            Smtp.Dispose();
            SharedRecord.Dispose();
        }
    }
}
