using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Subscriptions;

/// <summary>Topic triggers (with the previous version where it matters), filters and classic criteria, decided in memory.</summary>
public class SubscriptionEvaluatorTests
{
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SubscriptionReader Reader = new(new SearchQueryParser(Catalog), new SubscriptionOptions());

    // Every criterion below is decided by SearchMatcher alone, so the store is never asked.
    private static readonly SubscriptionEvaluator Evaluator = new(new SearchMatcher(new SearchIndexer(Catalog)), new SearchIndexer(Catalog), null!);

    private static ChangeEntry Change(string type, ChangeOperation op, int version = 2) =>
        new(new ChangeFeedPosition(1, 1), type, "r-7f3a21", version, op, DateTimeOffset.UnixEpoch);

    private static CarePlan Plan(string patient, bool pps = true) => new()
    {
        Id = "r-7f3a21", Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patient),
        Category = pps ? [new CodeableConcept(SubscriptionTopics.PpsCategorySystem, "pps")] : [],
    };

    private static ServiceRequest Referral(RequestStatus status) => new()
    {
        Id = "r-7f3a21", Status = status, Intent = RequestIntent.Order, Subject = new ResourceReference("Patient/pat-1"),
    };

    [Theory]
    [InlineData("pat-1", true, true)]
    [InlineData("pat-2", true, false)]
    [InlineData("pat-1", false, false)]
    public async Task GivenPpsTopicWithPatientFilter_WhenCarePlanRevised_ThenMatchesOnlyPpsOfThatPatient(string patient, bool pps, bool expected)
    {
        var spec = Reader.ReadStored(SubscriptionReaderTests.Topic(filters: "CarePlan?subject=Patient/pat-1"));

        Assert.Equal(expected, await Evaluator.MatchesAsync(spec, Change("CarePlan", ChangeOperation.Update), Plan(patient, pps), Plan("pat-1"), default));
    }

    [Theory]
    [InlineData(RequestStatus.Active, RequestStatus.Draft, true)]
    [InlineData(RequestStatus.Active, RequestStatus.Active, false)]
    public async Task GivenReferralTopic_WhenServiceRequestUpdated_ThenMatchesOnlyWhenStatusChanged(RequestStatus now, RequestStatus before, bool expected)
    {
        var subscription = SubscriptionReaderTests.Topic();
        subscription.Criteria = SubscriptionTopics.ReferralStatus.Canonical;
        var spec = Reader.ReadStored(subscription);

        Assert.Equal(expected, await Evaluator.MatchesAsync(spec, Change("ServiceRequest", ChangeOperation.Update), Referral(now), Referral(before), default));
        Assert.True(await Evaluator.MatchesAsync(spec, Change("ServiceRequest", ChangeOperation.Create, 1), Referral(now), null, default));
    }

    [Fact]
    public async Task GivenDocumentTopic_WhenDocumentReferenceCreatedOrUpdated_ThenOnlyTheCreationMatches()
    {
        var subscription = SubscriptionReaderTests.Topic();
        subscription.Criteria = SubscriptionTopics.DocumentAvailable.Canonical;
        var spec = Reader.ReadStored(subscription);
        var document = new DocumentReference { Id = "r-7f3a21", Status = DocumentReferenceStatus.Current };

        Assert.True(await Evaluator.MatchesAsync(spec, Change("DocumentReference", ChangeOperation.Create, 1), document, null, default));
        Assert.False(await Evaluator.MatchesAsync(spec, Change("DocumentReference", ChangeOperation.Update), document, document, default));
    }

    [Fact]
    public async Task GivenClassicCriteria_WhenChanged_ThenNewVersionDecidesAndADeleteIsJudgedOnThePreviousVersion()
    {
        var subscription = SubscriptionReaderTests.Topic();
        subscription.Criteria = "CarePlan?subject=Patient/pat-1&status=active";
        var spec = Reader.ReadStored(subscription);

        Assert.True(await Evaluator.MatchesAsync(spec, Change("CarePlan", ChangeOperation.Update), Plan("pat-1"), null, default));
        Assert.False(await Evaluator.MatchesAsync(spec, Change("CarePlan", ChangeOperation.Update), Plan("pat-2"), Plan("pat-1"), default));
        Assert.True(await Evaluator.MatchesAsync(spec, Change("CarePlan", ChangeOperation.Delete, 3), null, Plan("pat-1"), default));
        Assert.False(await Evaluator.MatchesAsync(spec, Change("Observation", ChangeOperation.Create, 1), new Observation(), null, default));
    }
}
