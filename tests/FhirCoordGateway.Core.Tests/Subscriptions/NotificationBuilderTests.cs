// The SDK model annotates every list item and value as nullable; these assertions fail anyway on a null.
#nullable disable warnings
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Subscriptions;

/// <summary>The shape of backport notification Bundles: history, SubscriptionStatus first, focus entries per payload content.</summary>
public class NotificationBuilderTests
{
    private static readonly SubscriptionReader Reader = new(new SearchQueryParser(new SearchParameterCatalog()), new SubscriptionOptions());
    private static readonly NotificationBuilder Builder = new(new SubscriptionOptions { BaseUrl = "https://gw.example/fhir/" });

    private static SubscriptionEvent Event(long n, ChangeOperation op = ChangeOperation.Update) =>
        new("sub-7f3a21", n, new ChangeFeedPosition(9, n), "CarePlan", "cp-1", (int)n, op, DateTimeOffset.Parse("2026-01-02T03:04:05Z"));

    [Fact]
    public void GivenFullResourceEvents_WhenBuildingNotification_ThenStatusComesFirstWithNumbersThenEachFocus()
    {
        var spec = Reader.ReadStored(SubscriptionReaderTests.Topic(content: "full-resource")) with { Id = "sub-7f3a21" };
        var plan = new CarePlan { Id = "cp-1" };

        var bundle = Builder.Notification(spec, "active", "event-notification", 4, [new(Event(3), plan), new(Event(4, ChangeOperation.Delete), null)], DateTimeOffset.UnixEpoch);

        Assert.Equal(Bundle.BundleType.History, bundle.Type);
        Assert.Equal(3, bundle.Entry.Count);
        var status = Assert.IsType<Parameters>(bundle.Entry[0].Resource);
        Assert.Equal([BackportUrls.StatusProfile], status.Meta.Profile);
        Assert.Equal("https://gw.example/fhir/Subscription/sub-7f3a21", ((ResourceReference)Value(status, "subscription")).Reference);
        Assert.Equal(SubscriptionTopics.PpsCarePlan.Canonical, ((Canonical)Value(status, "topic")).Value);
        Assert.Equal("event-notification", ((Code)Value(status, "type")).Value);
        Assert.Equal("4", ((FhirString)Value(status, "events-since-subscription-start")).Value);
        var numbers = status.Parameter.Where(p => p.Name == "notification-event")
            .Select(p => ((FhirString)p.Part.Single(x => x.Name == "event-number").Value).Value).ToList();
        Assert.Equal(["3", "4"], numbers);
        Assert.Equal("https://gw.example/fhir/CarePlan/cp-1/_history/3",
            ((ResourceReference)status.Parameter.First(p => p.Name == "notification-event").Part.Single(x => x.Name == "focus").Value).Reference);
        Assert.Same(plan, bundle.Entry[1].Resource);
        Assert.Equal(Bundle.HTTPVerb.DELETE, bundle.Entry[2].Request.Method);
        Assert.Null(bundle.Entry[2].Resource);
    }

    private static DataType Value(Parameters parameters, string name) => parameters.Parameter.Single(p => p.Name == name).Value;

    [Theory]
    [InlineData("empty", 1)]
    [InlineData("id-only", 2)]
    public void GivenLighterPayloads_WhenBuildingNotification_ThenNoResourceIsCarried(string content, int entries)
    {
        var spec = Reader.ReadStored(SubscriptionReaderTests.Topic(content: content)) with { Id = "sub-7f3a21" };

        var bundle = Builder.Notification(spec, "active", "event-notification", 1, [new(Event(1), new CarePlan { Id = "cp-1" })], DateTimeOffset.UnixEpoch);

        Assert.Equal(entries, bundle.Entry.Count);
        Assert.All(bundle.Entry.Skip(1), e => Assert.Null(e.Resource));
        Assert.Equal(content == "empty", !((Parameters)bundle.Entry[0].Resource).Parameter.Single(p => p.Name == "notification-event").Part.Any(p => p.Name == "focus"));
    }
}
