using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests.Subscriptions;

/// <summary>
/// Notifications carry only what the subscription's owner (the token that wrote it) may read: no document
/// labelled against the owner's role and, for a patient's subscription, nothing of another patient; in the
/// rest-hook payloads and in <c>$events</c> replays alike (ADR 0012). Every notification attempt leaves an
/// AuditEvent (issue 8).
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class SubscriptionSecurityTests(SubscriptionSecurityTests.Gateway gateway) : IClassFixture<SubscriptionSecurityTests.Gateway>
{
    private readonly FhirClient _admin = gateway.Factory.Fhir();

    /// <summary>
    /// A gateway with background work on a database of its own (not SubscriptionTests' one: recreating a database
    /// under the same connection string would hand the next class pooled connections to the dropped one).
    /// </summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("subscription_security"),
            ["Jobs:RunServer"] = "true",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
        });

        public void Dispose() => Factory.Dispose();
    }

    [Fact]
    public async Task GivenProfessionalsSubscription_WhenAMaskedDocumentArrives_ThenNoNotificationOrReplayCarriesIt()
    {
        using var subscriber = new Subscriber();
        var patient = (await _admin.CreateAsync(TestData.Patient()))!.Id;
        var professional = gateway.Factory.FhirWith(TestTokens.Token("user/*.cruds", role: "professional", clientId: "pro-subscriber"));
        var subscription = SubscriptionData.Topic(SubscriptionTopics.DocumentAvailable.Canonical, subscriber.Endpoint, filters: $"DocumentReference?subject=Patient/{patient}");
        // A client cannot choose whose access its notifications follow: forged owner tags are replaced by the token's.
        subscription.Meta.Tag = [new Coding(SubscriptionOwner.TagSystem, "role:system")];
        var active = await SubscriptionData.ActiveAsync(professional, subscription, subscriber);

        var plain = await DocumentAsync(patient, label: null);
        var masked = await DocumentAsync(patient, ResourceVisibility.HiddenFromProfessionals);
        var other = await DocumentAsync(patient, ResourceVisibility.HiddenFromPatient);

        await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Count() >= 2, "two events");
        await Task.Delay(1000);
        var events = subscriber.All.Where(r => r.Type == "event-notification").ToList();
        Assert.Equal([1L, 2L], events.SelectMany(e => e.EventNumbers));
        Assert.Equal([plain, other], events.SelectMany(e => e.Bundle.Entry.Skip(1)).Select(e => e.Resource.Id));
        Assert.All(subscriber.All, r => Assert.DoesNotContain(masked, r.Body ?? "", StringComparison.Ordinal));
        var tags = active.Meta.Tag.Where(t => t.System == SubscriptionOwner.TagSystem).Select(t => t.Code).ToList();
        Assert.Contains("role:professional", tags);
        Assert.DoesNotContain("role:system", tags);
        Assert.Equal("2", active.Meta.VersionId); // the server's status write kept the owner

        var replay = (Bundle)(await professional.InstanceOperationAsync(new Uri("Subscription/" + active.Id, UriKind.Relative), "events",
            new Parameters().Add("content", new Code("full-resource"))))!;
        Assert.Equal([plain, other], replay.Entry.Skip(1).Select(e => e.Resource.Id));
    }

    [Fact]
    public async Task GivenPatientsClassicSubscription_ThenOnlyTheirOwnVisibleDocumentsArrive()
    {
        using var subscriber = new Subscriber();
        var patient = (await _admin.CreateAsync(TestData.Patient()))!.Id;
        var otherPatient = (await _admin.CreateAsync(TestData.Patient()))!.Id;
        var type = TestData.Unique("sub-label-type");
        var token = TestTokens.Token(new TokenRequest("patient/*.rs user/Subscription.cruds", patient, "patient", "patient-app"));
        var owner = gateway.Factory.FhirWith(token);
        await SubscriptionData.ActiveAsync(owner,
            SubscriptionData.Classic($"DocumentReference?type=http://test.example.org/doc-type|{type}", subscriber.Endpoint, "application/fhir+json"), subscriber);

        var hidden = await DocumentAsync(patient, ResourceVisibility.HiddenFromPatient, type);
        var others = await DocumentAsync(otherPatient, label: null, type);
        var own = await DocumentAsync(patient, label: null, type);

        var received = await subscriber.WaitAsync(r => r.Count >= 2, "the patient's document");
        await Task.Delay(1000);
        var posted = Assert.Single(subscriber.All.Skip(1));
        Assert.Equal(own, ((DocumentReference)posted.Resource).Id);
        Assert.All(subscriber.All, r => Assert.DoesNotContain(hidden, r.Body ?? "", StringComparison.Ordinal));
        Assert.All(subscriber.All, r => Assert.DoesNotContain(others, r.Body ?? "", StringComparison.Ordinal));
        Assert.Equal(2, received.Count);
    }

    [Fact]
    public async Task GivenNotificationAttempts_ThenEachHasAnAuditEventWithTheFocusSentAndTheOutcome()
    {
        using var subscriber = new Subscriber();
        var patient = (await _admin.CreateAsync(TestData.Patient()))!.Id;
        var endpoint = subscriber.Endpoint;
        var subscription = await SubscriptionData.ActiveAsync(_admin,
            SubscriptionData.Topic(SubscriptionTopics.DocumentAvailable.Canonical, endpoint + "?key=secret-7f3a21", "id-only", filters: $"DocumentReference?subject=Patient/{patient}"),
            subscriber);
        var delivered = await DocumentAsync(patient, label: null);
        await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Count() >= 1, "the first event");
        subscriber.Answer(503);
        var refused = await DocumentAsync(patient, label: null);
        await subscriber.WaitAsync(r => r.Any(x => x.AnsweredStatus == 503), "a refused notification");

        var auditor = gateway.Factory.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-sub"));
        List<AuditEvent> audits = [];
        await Eventually.UntilAsync(async () =>
        {
            audits = (await auditor.SearchAsync<AuditEvent>([$"entity=Subscription/{subscription.Id}", "type=http://dicom.nema.org/resources/ontology/DCM|110106", "_count=50"]))!.Entry.Select(e => (AuditEvent)e.Resource).ToList();
            return audits.Any(a => a.Outcome == AuditEvent.AuditEventOutcome.N4);
        }, "the refused attempt's AuditEvent");

        Assert.All(audits, a =>
        {
            Assert.Equal("110106", a.Type.Code);
            Assert.Equal("rest-hook", a.Subtype.Single().Code);
            Assert.Equal("fhircoord-gateway", a.Agent.Single(x => x.Requestor == true).Who.Identifier.Value);
            Assert.Equal(endpoint, a.Agent.Single(x => x.Requestor == false).Who.Identifier.Value); // never the query's key
        });
        var handshake = Assert.Single(audits, a => a.Entity.Count == 1);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, handshake.Outcome);
        var sent = Assert.Single(audits, a => a.Entity.Any(e => e.What.Reference == $"DocumentReference/{delivered}/_history/1"));
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, sent.Outcome);
        var failed = audits.Where(a => a.Entity.Any(e => e.What.Reference == $"DocumentReference/{refused}/_history/1")).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, a => Assert.Equal(AuditEvent.AuditEventOutcome.N4, a.Outcome));
        Assert.All(failed, a => Assert.Equal("HTTP 503", a.OutcomeDesc));
    }

    private async Task<string> DocumentAsync(string patient, string? label, string? type = null)
    {
        var document = new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept("http://test.example.org/doc-type", type ?? "sub-label"),
            Subject = new ResourceReference($"Patient/{patient}"),
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = "test"u8.ToArray() } }],
        };
        if (label is not null)
        {
            document.SecurityLabel.Add(new CodeableConcept(ResourceVisibility.VisibilitySystem, label));
        }

        return (await _admin.CreateAsync(document))!.Id;
    }
}
