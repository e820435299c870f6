using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Subscriptions;

/// <summary>The rules a written Subscription must meet, each failure located on its element.</summary>
public class SubscriptionReaderTests
{
    private static readonly SearchQueryParser Parser = new(new SearchParameterCatalog());

    private static SubscriptionReader Reader(bool loopbackHttp = false) => new(Parser, new SubscriptionOptions { AllowLoopbackHttp = loopbackHttp });

    internal static Subscription Topic(string endpoint = "https://hooks.example/fhir-7f3a21", string content = "id-only", params string[] filters)
    {
        var subscription = new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested,
            Reason = "test",
            Criteria = SubscriptionTopics.PpsCarePlan.Canonical,
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = endpoint,
                Payload = "application/fhir+json",
                Header = ["Authorization: Bearer token-7f3a21"],
            },
        };
        subscription.Channel.PayloadElement.AddExtension(BackportUrls.PayloadContent, new Code(content));
        subscription.Channel.AddExtension(BackportUrls.HeartbeatPeriod, new UnsignedInt(120));
        foreach (var f in filters)
        {
            subscription.CriteriaElement.AddExtension(BackportUrls.FilterCriteria, new FhirString(f));
        }

        return subscription;
    }

    [Fact]
    public void GivenTopicSubscription_WhenReading_ThenTopicFiltersChannelAndPayloadAreRead()
    {
        var (spec, issues) = Reader().Read(Topic(filters: "CarePlan?subject=Patient/pat-7f3a21"));

        Assert.Empty(issues);
        Assert.Same(SubscriptionTopics.PpsCarePlan, spec!.Topic);
        Assert.Equal("subject", Assert.Single(Assert.Single(spec.Filters).Criteria).Parameter);
        Assert.Equal(PayloadContent.IdOnly, spec.Content);
        Assert.Equal(120, spec.HeartbeatSeconds);
        Assert.Equal(new KeyValuePair<string, string>("Authorization", "Bearer token-7f3a21"), Assert.Single(spec.Headers));
        Assert.Equal("requested", spec.Status);
    }

    [Fact]
    public void GivenClassicCriteria_WhenReading_ThenTheSearchIsParsedAndPayloadMimeMeansFullResource()
    {
        var subscription = Topic();
        subscription.Criteria = "Observation?code=http://loinc.org|1234-5";
        subscription.Channel.PayloadElement!.Value = "application/fhir+xml";

        var (spec, issues) = Reader().Read(subscription);

        Assert.Empty(issues);
        Assert.Null(spec!.Topic);
        Assert.Equal("Observation", spec.Criteria!.ResourceType);
        Assert.Equal(PayloadContent.FullResource, spec.Content);
        Assert.True(spec.Xml);
    }

    [Theory]
    [InlineData("Observation?unknown-param-7f3a=1", "Subscription.criteria", "unknown-param-7f3a")]
    [InlineData("NotAType?code=1", "Subscription.criteria", "resource type")]
    [InlineData("https://elsewhere.example/SubscriptionTopic/x", "Subscription.criteria", "not a topic")]
    public void GivenBadCriteria_WhenReading_ThenTheIssueIsOnCriteria(string criteria, string location, string message)
    {
        var subscription = Topic();
        subscription.Criteria = criteria;

        var issue = Assert.Single(Reader().Read(subscription).Issues);

        Assert.Equal([location], issue.Expression);
        Assert.Contains(message, issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void GivenFilterOnAnotherType_WhenReading_ThenTheIssueNamesTheFilterExtension()
    {
        var issue = Assert.Single(Reader().Read(Topic(filters: "Patient?name=x")).Issues);

        Assert.Equal([$"Subscription.criteria.extension('{BackportUrls.FilterCriteria}')[0]"], issue.Expression);
    }

    [Theory]
    [InlineData("http://hooks.example/x", false)]
    [InlineData("http://127.0.0.1:8080/x", false)]
    [InlineData("http://hooks.example/x", true)]
    [InlineData("ftp://hooks.example/x", true)]
    [InlineData("https://user:pw@hooks.example/x", false)]
    [InlineData("not a url", false)]
    public void GivenEndpointNotAllowed_WhenReading_ThenTheIssueIsOnEndpoint(string endpoint, bool loopbackHttp)
    {
        var issue = Assert.Single(Reader(loopbackHttp).Read(Topic(endpoint)).Issues);

        Assert.Equal(["Subscription.channel.endpoint"], issue.Expression);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/x")]
    [InlineData("http://localhost/x")]
    [InlineData("http://[::1]:9000/x")]
    public void GivenLoopbackHttpInDevelopment_WhenReading_ThenAccepted(string endpoint) =>
        Assert.Empty(Reader(loopbackHttp: true).Read(Topic(endpoint)).Issues);

    [Fact]
    public void GivenClientWritingActive_WhenReading_ThenRefusedButTheServerMay()
    {
        var subscription = Topic();
        subscription.Status = Subscription.SubscriptionStatus.Active;

        var issue = Assert.Single(Reader().Read(subscription).Issues);
        Assert.Equal(["Subscription.status"], issue.Expression);
        using (SubscriptionStatusScope.Server())
        {
            Assert.Empty(Reader().Read(subscription).Issues);
        }

        Assert.Single(Reader().Read(subscription).Issues);
    }

    [Fact]
    public void GivenOtherChannelTypeBadHeaderAndContent_WhenReading_ThenEveryIssueIsListed()
    {
        var subscription = Topic(content: "everything");
        subscription.Channel.Type = Subscription.SubscriptionChannelType.Email;
        subscription.Channel.Header = ["Authorization: ok", "no colon here"];

        var locations = Reader().Read(subscription).Issues.SelectMany(i => i.Expression).ToList();

        Assert.Equal(
            ["Subscription.channel.type", "Subscription.channel.header[1]", $"Subscription.channel.payload.extension('{BackportUrls.PayloadContent}')"],
            locations);
    }
}
