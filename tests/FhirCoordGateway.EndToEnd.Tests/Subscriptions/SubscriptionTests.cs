using System.Net;
using FhirCoordGateway.Core.Subscriptions;
using FhirCoordGateway.Subscriptions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests.Subscriptions;

/// <summary>
/// Subscriptions through the whole gateway: written with FhirClient, matched from the change log, delivered by
/// Hangfire to WireMock subscribers, inspected with $status and $events (issue 7).
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public class SubscriptionTests(SubscriptionTests.Gateway gateway) : IClassFixture<SubscriptionTests.Gateway>
{
    private readonly GatewayFactory _factory = gateway.Factory;
    private readonly FhirClient _fhir = gateway.Factory.Fhir();

    /// <summary>One gateway with background work (change feed, Hangfire) on a database of its own.</summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("subscriptions"),
            ["Jobs:RunServer"] = "true",
            ["Jobs:SchedulePollingInterval"] = "00:00:00.200",
        });

        public void Dispose() => Factory.Dispose();
    }

    private async Task<string> PatientAsync() => (await _fhir.CreateAsync(TestData.Patient()))!.Id;

    [Fact]
    public async Task GivenTopicSubscription_WhenCreated_ThenHandshakeWithHeadersIsSentAndTheServerWritesActive()
    {
        using var subscriber = new Subscriber();

        var created = await _fhir.CreateAsync(SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint));
        var handshake = (await subscriber.WaitAsync(r => r.Count >= 1, "the handshake"))[0];
        var status = await SubscriptionData.WaitForStatusAsync(_fhir, created!.Id, Subscription.SubscriptionStatus.Active);

        Assert.Equal(Subscription.SubscriptionStatus.Requested, created.Status);
        Assert.Equal("handshake", handshake.Type);
        Assert.Equal(Bundle.BundleType.History, handshake.Bundle.Type);
        Assert.Equal("key-7f3a21", handshake.Headers["X-Subscriber-Key"].Single());
        Assert.Empty(handshake.EventNumbers);
        Assert.Equal(Subscription.SubscriptionStatus.Active, status);
        var read = await _fhir.ReadAsync<Subscription>("Subscription/" + created.Id);
        Assert.Equal("2", read!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenPpsTopicWithPatientFilter_WhenPlansAreWrittenAndRevised_ThenOnlyMatchingChangesArriveInOrderWithGaplessNumbers()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var other = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, filters: $"CarePlan?subject=Patient/{patient}"), subscriber);

        var plan = await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        await _fhir.CreateAsync(SubscriptionData.Pps(other));                     // other patient: filtered out
        var notPps = SubscriptionData.Pps(patient);
        notPps.Category.Clear();
        await _fhir.CreateAsync(notPps);                                           // not a PPS: not on the topic
        for (var i = 2; i <= 5; i++)
        {
            plan!.Title = "PPS revision " + i;
            plan = await _fhir.UpdateAsync(plan);
        }

        var received = await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Count() >= 5, "five events");
        var events = received.Where(r => r.Type == "event-notification").ToList();
        Assert.Equal([1L, 2L, 3L, 4L, 5L], events.SelectMany(e => e.EventNumbers));
        var focusVersions = events.SelectMany(e => e.Bundle.Entry.Skip(1)).Select(e => e.Resource.Meta.VersionId).ToList();
        Assert.Equal(["1", "2", "3", "4", "5"], focusVersions);
        Assert.All(events.SelectMany(e => e.Bundle.Entry.Skip(1)), e => Assert.Equal(plan!.Id, e.Resource.Id));
        await Task.Delay(500);
        Assert.Equal(5, subscriber.All.SelectMany(x => x.EventNumbers).Count());

        var status = await StatusAsync(subscription.Id);
        Assert.Equal("5", ((FhirString)status.Parameter.Single(p => p.Name == "events-since-subscription-start").Value).Value);
        Assert.Equal("active", ((Code)status.Parameter.Single(p => p.Name == "status").Value).Value);
    }

    [Fact]
    public async Task GivenEvents_WhenReplayingWithEvents_ThenTheAskedRangeComesBackWithTheAskedContent()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "id-only", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        var plan = await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        for (var i = 0; i < 3; i++)
        {
            plan = await _fhir.UpdateAsync(plan!);
        }

        await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Count() >= 4, "four events");

        var replay = (Bundle)(await _fhir.InstanceOperationAsync(new Uri("Subscription/" + subscription.Id, UriKind.Relative), "events",
            new Parameters().Add("eventsSinceNumber", new FhirString("2")).Add("eventsUntilNumber", new FhirString("3")).Add("content", new Code("full-resource"))))!;
        var status = (Parameters)replay.Entry[0].Resource;
        Assert.Equal("query-event", ((Code)status.Parameter.Single(p => p.Name == "type").Value).Value);
        Assert.Equal(["2", "3"], status.Parameter.Where(p => p.Name == "notification-event")
            .Select(p => ((FhirString)p.Part.Single(x => x.Name == "event-number").Value).Value));
        Assert.Equal(["2", "3"], replay.Entry.Skip(1).Select(e => ((CarePlan)e.Resource).Meta.VersionId));

        var get = await _factory.CreateClient().GetAsync($"/fhir/Subscription/{subscription.Id}/$events?eventsSinceNumber=4");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("\"event-number\"", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var bad = await _factory.CreateClient().GetAsync($"/fhir/Subscription/{subscription.Id}/$events?eventsSinceNumber=x");
        await Http.AssertOutcome(bad, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "eventsSinceNumber");
        var unknown = await _factory.CreateClient().GetAsync("/fhir/Subscription/no-such-sub-7f3a21/$status");
        await Http.AssertOutcome(unknown, HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task GivenMoreEventsThanAPage_WhenReplayingWithEvents_ThenNextLinksPageThroughTheRangeAndTheLastPageHasNone()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "id-only", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        var plan = await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        for (var i = 0; i < 4; i++)
        {
            plan = await _fhir.UpdateAsync(plan!);
        }

        await WaitUntilAsync(async () => Events(await StatusAsync(subscription.Id)) == "5", "five events counted");

        var all = await PagesAsync($"/fhir/Subscription/{subscription.Id}/$events?_count=2");
        Assert.Equal(new long[][] { [1, 2], [3, 4], [5] }, all.Select(p => p.Numbers));
        Assert.Equal([true, true, false], all.Select(p => p.HasNext).ToArray());
        Assert.Contains("eventsSinceNumber=3", all[0].Next, StringComparison.Ordinal);

        var bounded = await PagesAsync($"/fhir/Subscription/{subscription.Id}/$events?eventsSinceNumber=2&eventsUntilNumber=4&content=empty&_count=2");
        Assert.Equal(new long[][] { [2, 3], [4] }, bounded.Select(p => p.Numbers));
        Assert.Contains("eventsUntilNumber=4", bounded[0].Next, StringComparison.Ordinal);
        Assert.Contains("content=empty", bounded[0].Next, StringComparison.Ordinal);

        var zero = await _factory.CreateClient().GetAsync($"/fhir/Subscription/{subscription.Id}/$events?_count=0");
        await Http.AssertOutcome(zero, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "_count");
    }

    [Fact]
    public async Task GivenHeartbeatPeriod_WhenNothingHappens_ThenEachHeartbeatGoesOutWithinSecondsOfBeingDue()
    {
        using var subscriber = new Subscriber();
        await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.DocumentAvailable.Canonical, subscriber.Endpoint, "empty", heartbeat: 2,
                filters: $"DocumentReference?subject=Patient/{TestData.Unique("nobody")}"), subscriber);

        // The sweep runs once a minute: two heartbeats this close together come from the heartbeat timer.
        var received = await subscriber.WaitAsync(r => r.Count(x => x.Type == "heartbeat") >= 2, "two heartbeats", seconds: 30);

        var times = received.Where(x => x.Type is "handshake" or "heartbeat").Take(3).Select(x => x.At).ToList();
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        Assert.Equal(["handshake", "heartbeat", "heartbeat"], received.Where(x => x.Type is "handshake" or "heartbeat").Take(3).Select(x => x.Type));
        Assert.All(gaps, g => Assert.InRange(g, 1.9, 7));
    }

    [Fact]
    public async Task GivenClassicCriteriaWithJsonPayload_WhenMatchingAndOtherResourcesAreWritten_ThenOnlyTheMatchingResourceIsPosted()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Classic($"CarePlan?subject=Patient/{patient}&status=active", subscriber.Endpoint, "application/fhir+json"), subscriber);

        var draft = SubscriptionData.Pps(patient, "draft plan");
        draft.Category.Clear();
        await _fhir.CreateAsync(draft);
        var active = SubscriptionData.Pps(patient, "active plan");
        active.Category.Clear();
        active.Status = RequestStatus.Active;
        var matching = await _fhir.CreateAsync(active);

        var received = await subscriber.WaitAsync(r => r.Count >= 2, "the matching CarePlan");
        await Task.Delay(500);
        var posted = Assert.Single(subscriber.All.Skip(1));
        var body = (CarePlan)posted.Resource;
        Assert.Equal(matching!.Id, body.Id);
        Assert.Equal("key-7f3a21", posted.Headers["X-Subscriber-Key"].Single());
        Assert.Null(received[0].Body is { Length: > 0 } ? "handshake had a body" : null);
    }

    [Fact]
    public async Task GivenClassicCriteriaWithXmlPayload_WhenAMatchingResourceIsWritten_ThenItIsPostedAsFhirXml()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Classic($"CarePlan?subject=Patient/{patient}", subscriber.Endpoint, "application/fhir+xml"), subscriber);

        var plan = SubscriptionData.Pps(patient, "plan sent as XML");
        plan.Category.Clear();
        var created = await _fhir.CreateAsync(plan);

        var posted = (await subscriber.WaitAsync(r => r.Count >= 2, "the CarePlan"))[1];
        Assert.StartsWith("application/fhir+xml", posted.Headers["Content-Type"].Single(), StringComparison.Ordinal);
        var body = new Hl7.Fhir.Serialization.FhirXmlDeserializer().DeserializeResource(posted.Body!);
        Assert.Equal(created!.Id, Assert.IsType<CarePlan>(body).Id);
    }

    [Fact]
    public async Task GivenSubscriberDown_WhenItComesBack_ThenEveryEventArrivesOnceInOrder()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "id-only", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        subscriber.Answer(503);

        var plan = await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        for (var i = 0; i < 3; i++)
        {
            plan = await _fhir.UpdateAsync(plan!);
        }

        await subscriber.WaitAsync(r => r.Count(x => x.AnsweredStatus == 503) >= 2, "two failed attempts");
        var failing = await StatusAsync(subscription.Id);
        Assert.Contains(failing.Parameter, p => p.Name == "error");
        subscriber.Answer(200);
        var accepted = (await subscriber.WaitAsync(r => r.Where(x => x.AnsweredStatus == 200).SelectMany(x => x.EventNumbers).Distinct().Count() >= 4, "the four events after recovery"))
            .Where(x => x.AnsweredStatus == 200).SelectMany(x => x.EventNumbers).ToList();

        Assert.Equal([1L, 2L, 3L, 4L], accepted);
        Assert.Equal(Subscription.SubscriptionStatus.Active, (await _fhir.ReadAsync<Subscription>("Subscription/" + subscription.Id))!.Status);
    }

    [Fact]
    public async Task GivenSubscriberAlwaysFailing_WhenAttemptsRunOut_ThenStatusIsErrorEventsAreStillCountedAndRequestedResumes()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "empty", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        subscriber.Answer(500);

        var plan = await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        var status = await SubscriptionData.WaitForStatusAsync(_fhir, subscription.Id, Subscription.SubscriptionStatus.Error);
        Assert.Equal(Subscription.SubscriptionStatus.Error, status);
        await _fhir.UpdateAsync(plan!);
        await WaitUntilAsync(async () => Events(await StatusAsync(subscription.Id)) == "2", "the second event counted while in error");

        subscriber.Answer(200);
        var errored = (await _fhir.ReadAsync<Subscription>("Subscription/" + subscription.Id))!;
        errored.Status = Subscription.SubscriptionStatus.Requested;
        await _fhir.UpdateAsync(errored);
        var accepted = await subscriber.WaitAsync(r => r.Where(x => x.AnsweredStatus == 200).SelectMany(x => x.EventNumbers).Count() >= 2, "both events after reactivation");

        Assert.Equal([1L, 2L], accepted.Where(x => x.AnsweredStatus == 200).SelectMany(x => x.EventNumbers));
    }

    [Fact]
    public async Task GivenSubscriptionSetOff_WhenMatchingChangesFollow_ThenNothingMoreIsDelivered()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "id-only", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Any(), "the first event");

        subscription.Status = Subscription.SubscriptionStatus.Off;
        await _fhir.UpdateAsync(subscription);
        await WaitUntilAsync(async () => ((Code)(await StatusAsync(subscription.Id)).Parameter.Single(p => p.Name == "status").Value).Value == "off", "off seen");
        var before = subscriber.All.Count;
        await _fhir.CreateAsync(SubscriptionData.Pps(patient));
        await Task.Delay(2000);

        Assert.Equal(before, subscriber.All.Count);
        Assert.Equal("1", Events(await StatusAsync(subscription.Id)));
    }

    [Fact]
    public async Task GivenRolledBackTransaction_WhenALaterWriteCommits_ThenOnlyTheCommittedChangeIsAnEvent()
    {
        using var subscriber = new Subscriber();
        var patient = await PatientAsync();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, subscriber.Endpoint, "full-resource", filters: $"CarePlan?subject=Patient/{patient}"), subscriber);
        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        transaction.Entry.Add(new Bundle.EntryComponent
        {
            Resource = SubscriptionData.Pps(patient, "rolled back"),
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "CarePlan" },
        });
        transaction.Entry.Add(new Bundle.EntryComponent
        {
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = "CarePlan?_id=a&_id=b&unknown-7f3a21=x" },
        });
        await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.TransactionAsync(transaction));

        var committed = await _fhir.CreateAsync(SubscriptionData.Pps(patient, "committed"));
        var received = await subscriber.WaitAsync(r => r.SelectMany(x => x.EventNumbers).Any(), "the committed plan");
        await Task.Delay(500);

        var notification = Assert.Single(subscriber.All, r => r.Type == "event-notification");
        Assert.Equal([1L], notification.EventNumbers);
        Assert.Equal(committed!.Id, notification.Bundle.Entry[1].Resource.Id);
        Assert.Equal("1", Events(await StatusAsync(subscription.Id)));
        Assert.NotEmpty(received);
    }

    [Fact]
    public async Task GivenHeartbeatPeriod_WhenTheSweepRunsAfterIt_ThenAHeartbeatIsSent()
    {
        using var subscriber = new Subscriber();
        var subscription = await SubscriptionData.ActiveAsync(_fhir,
            SubscriptionData.Topic(SubscriptionTopics.DocumentAvailable.Canonical, subscriber.Endpoint, "empty", heartbeat: 1,
                filters: $"DocumentReference?subject=Patient/{TestData.Unique("nobody")}"), subscriber);
        await Task.Delay(1100);

        await _factory.Services.GetRequiredService<SubscriptionSweepJob>().RunAsync(CancellationToken.None);
        var heartbeat = (await subscriber.WaitAsync(r => r.Any(x => x.Type == "heartbeat"), "a heartbeat")).First(x => x.Type == "heartbeat");

        Assert.Empty(heartbeat.EventNumbers);
        Assert.Equal("0", Events(heartbeat.Status));
        Assert.Equal(subscription.Id, ((ResourceReference)heartbeat.Status.Parameter.Single(p => p.Name == "subscription").Value).Reference.Split('/')[^1]);
    }

    [Fact]
    public async Task GivenBadSubscriptions_WhenWritten_ThenUnprocessableWithTheLocation()
    {
        var http = SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, "http://hooks.example/x");
        var active = SubscriptionData.Topic(SubscriptionTopics.PpsCarePlan.Canonical, "https://hooks.example/x");
        active.Status = Subscription.SubscriptionStatus.Active;
        var criteria = SubscriptionData.Classic("CarePlan?no-such-param-7f3a21=1", "https://hooks.example/x", null);

        foreach (var (subscription, location) in new[] { (http, "Subscription.channel.endpoint"), (active, "Subscription.status"), (criteria, "Subscription.criteria") })
        {
            var e = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.CreateAsync(subscription));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Status);
            Assert.Contains(e.Outcome.Issue, i => i.Expression.Contains(location));
        }
    }

    [Fact]
    public async Task GivenCapabilityStatement_WhenRead_ThenEveryTopicAndTheOperationsAreListed()
    {
        var statement = await _fhir.CapabilityStatementAsync();

        var subscription = statement!.Rest[0].Resource.Single(r => r.Type == "Subscription");
        Assert.Equal(SubscriptionTopics.All.Select(t => t.Canonical),
            subscription.Extension.Where(e => e.Url == BackportUrls.TopicCanonical).Select(e => ((Canonical)e.Value).Value));
        Assert.Contains("status", subscription.Operation.Select(o => o.Name));
        Assert.Contains("events", subscription.Operation.Select(o => o.Name));
    }

    private async Task<Parameters> StatusAsync(string id)
    {
        var bundle = (Bundle)(await _fhir.InstanceOperationAsync(new Uri("Subscription/" + id, UriKind.Relative), "status", useGet: true))!;
        return (Parameters)Assert.Single(bundle.Entry).Resource;
    }

    /// <summary>Follows the next links from <paramref name="first"/>: the event numbers of each page and its next link.</summary>
    private async Task<List<(long[] Numbers, bool HasNext, string Next)>> PagesAsync(string first)
    {
        var pages = new List<(long[], bool, string)>();
        for (var url = first; url is not null && pages.Count < 10;)
        {
            var response = await _factory.CreateClient().GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bundle = (Bundle)new FhirJsonDeserializer().DeserializeResource(await response.Content.ReadAsStringAsync());
            var numbers = ((Parameters)bundle.Entry[0].Resource).Parameter.Where(p => p.Name == "notification-event")
                .Select(p => long.Parse(((FhirString)p.Part.Single(x => x.Name == "event-number").Value).Value, System.Globalization.CultureInfo.InvariantCulture))
                .ToArray();
            url = bundle.Link.SingleOrDefault(l => l.Relation == "next")?.Url;
            pages.Add((numbers, url is not null, url ?? ""));
        }

        return pages;
    }

    private static string Events(Parameters status) =>
        ((FhirString)status.Parameter.Single(p => p.Name == "events-since-subscription-start").Value).Value;

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Timed out waiting for " + what);
    }
}
