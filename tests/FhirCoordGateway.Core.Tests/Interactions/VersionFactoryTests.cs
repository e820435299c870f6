using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using CoreOutcomes = FhirCoordGateway.Core.Outcomes.Outcomes;

namespace FhirCoordGateway.Core.Tests.Interactions;

public class VersionFactoryTests
{
    // 2026-03-14T09:26:53.589793Z: sub-millisecond ticks that the version must drop.
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero).AddTicks(7930);
    private static readonly DateTimeOffset NowMs = new(2026, 3, 14, 9, 26, 53, 589, TimeSpan.Zero);

    private static VersionFactory Factory(TimeProvider clock, IResourceValidator? validator = null) =>
        new(validator ?? new NoProfileValidation(), new SearchIndexer(new SearchParameterCatalog()), clock);

    private static Patient NewPatient(string mrn) => new()
    {
        Id = "id-in-body-ignored",
        Active = true,
        Identifier = [new Identifier("http://hospital.example.org/mrn", mrn)],
        Name = [new HumanName { Family = "Chalmers", Given = ["Peter"] }],
    };

    [Fact]
    public void GivenNoPrevious_WhenMakingNextVersion_ThenVersionOneCreateStampedWithIdMetaAndMillisecondTime()
    {
        var patient = NewPatient("mrn-7f3a21");

        var version = Factory(new FixedTimeProvider(Now)).Next(patient, "pat-a1", previous: null);

        Assert.Equal("Patient", version.ResourceType);
        Assert.Equal("pat-a1", version.Id);
        Assert.Equal(1, version.Version);
        Assert.Equal(NowMs, version.LastUpdated);
        Assert.Equal(ChangeOperation.Create, version.Operation);
        Assert.Equal([new TokenIndexEntry("identifier", "http://hospital.example.org/mrn", "mrn-7f3a21")], version.Index.Tokens.Where(t => t.Parameter == "identifier"));

        // The resource itself is stamped, and the JSON is that stamped resource.
        Assert.Equal("pat-a1", patient.Id);
        Assert.Equal("1", patient.Meta!.VersionId);
        Assert.Equal(NowMs, patient.Meta!.LastUpdated);
        var stored = new FhirJsonDeserializer().Deserialize<Patient>(version.Json!);
        Assert.Equal("pat-a1", stored.Id);
        Assert.Equal("1", stored.Meta!.VersionId);
        Assert.Equal(NowMs, stored.Meta!.LastUpdated);
        Assert.Equal("mrn-7f3a21", stored.Identifier.Single().Value);
        Assert.Equal("Chalmers", stored.Name.Single().Family);
        Assert.Contains("\"lastUpdated\":\"2026-03-14T09:26:53.589+00:00\"", version.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void GivenPrevious_WhenMakingNextVersion_ThenVersionIsPreviousPlusOneAndAnUpdate()
    {
        var previous = new StoredResource("Patient", "pat-b2", 6, NowMs.AddMinutes(-5), Deleted: false, "{}");

        var version = Factory(new FixedTimeProvider(Now)).Next(NewPatient("mrn-b2"), "pat-b2", previous);

        Assert.Equal(7, version.Version);
        Assert.Equal(ChangeOperation.Update, version.Operation);
        Assert.Equal(NowMs, version.LastUpdated);
        Assert.Contains("\"versionId\":\"7\"", version.Json, StringComparison.Ordinal);
    }

    [Fact]
    public void GivenDeletedPrevious_WhenMakingNextVersion_ThenItIsACreateThatContinuesTheVersionNumbers()
    {
        var tombstone = new StoredResource("Patient", "pat-c3", 4, NowMs.AddMinutes(-1), Deleted: true, null);

        var version = Factory(new FixedTimeProvider(Now)).Next(NewPatient("mrn-c3"), "pat-c3", tombstone);

        Assert.Equal(5, version.Version);
        Assert.Equal(ChangeOperation.Create, version.Operation);
    }

    [Fact]
    public void GivenClockBehindPreviousVersion_WhenMakingNextVersion_ThenOneMillisecondAfterThePrevious()
    {
        var previousTime = NowMs.AddSeconds(30); // another node's clock was ahead
        var previous = new StoredResource("Patient", "pat-d4", 2, previousTime, Deleted: false, "{}");

        var version = Factory(new FixedTimeProvider(Now)).Next(NewPatient("mrn-d4"), "pat-d4", previous);

        Assert.Equal(previousTime.AddMilliseconds(1), version.LastUpdated);
    }

    [Fact]
    public void GivenClockEqualToPreviousVersion_WhenMakingNextVersion_ThenStillStrictlyLater()
    {
        var previous = new StoredResource("Patient", "pat-e5", 1, NowMs, Deleted: false, "{}");

        var version = Factory(new FixedTimeProvider(Now)).Next(NewPatient("mrn-e5"), "pat-e5", previous);

        Assert.Equal(NowMs.AddMilliseconds(1), version.LastUpdated);
    }

    [Fact]
    public void GivenClockInAnotherOffset_WhenMakingNextVersion_ThenTheSameInstant()
    {
        var clock = new FixedTimeProvider(Now.ToOffset(TimeSpan.FromHours(10)));

        var version = Factory(clock).Next(NewPatient("mrn-f6"), "pat-f6", previous: null);

        Assert.Equal(NowMs, version.LastUpdated);
        Assert.Equal(NowMs.UtcTicks, version.LastUpdated.UtcTicks);
    }

    [Fact]
    public void GivenCurrentVersion_WhenMakingTombstone_ThenNextVersionDeleteWithoutBodyOrTokens()
    {
        var current = new StoredResource("Observation", "obs-g7", 3, NowMs.AddHours(-1), Deleted: false, "{\"resourceType\":\"Observation\"}");

        var tombstone = Factory(new FixedTimeProvider(Now)).Tombstone(current);

        Assert.Equal(
            new NewVersion("Observation", "obs-g7", 4, NowMs, ChangeOperation.Delete, null, tombstone.Index),
            tombstone);
        Assert.Equal(0, tombstone.Index.Count);
    }

    [Fact]
    public void GivenClockBehindCurrentVersion_WhenMakingTombstone_ThenOneMillisecondAfterIt()
    {
        var current = new StoredResource("Observation", "obs-h8", 1, NowMs.AddDays(1), Deleted: false, "{}");

        var tombstone = Factory(new FixedTimeProvider(Now)).Tombstone(current);

        Assert.Equal(NowMs.AddDays(1).AddMilliseconds(1), tombstone.LastUpdated);
    }

    [Fact]
    public void GivenValidatorErrors_WhenValidating_Then422WithEveryIssueOfTheValidator()
    {
        var outcome = new OperationOutcome
        {
            Issue =
            [
                CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Invariant, "Constraint pat-9 not met", "Patient.name"),
                CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.CodeInvalid, "Unknown code", "Patient.gender"),
                CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Required, "Missing identifier", "Patient.identifier"),
            ],
        };

        var e = Assert.Throws<FhirOutcomeException>(() => Factory(new FixedTimeProvider(Now), new StubValidator(outcome)).Validate(NewPatient("mrn-i9")));

        Assert.Equal(FailureKind.Unprocessable, e.Kind);
        Assert.Equal(422, e.Status);
        Assert.Same(outcome, e.Outcome);
        Assert.Equal(
            [
                (OperationOutcome.IssueType.Invariant, "Patient.name"),
                (OperationOutcome.IssueType.CodeInvalid, "Patient.gender"),
                (OperationOutcome.IssueType.Required, "Patient.identifier"),
            ],
            e.Outcome.Issue.Select(i => (i.Code!.Value, i.Expression.Single())));
        Assert.Equal("Constraint pat-9 not met", e.Message);
    }

    [Fact]
    public void GivenFatalIssue_WhenValidating_Then422()
    {
        var outcome = new OperationOutcome
        {
            Issue = [CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Fatal, OperationOutcome.IssueType.Structure, "Broken", "Patient")],
        };

        var e = Assert.Throws<FhirOutcomeException>(() => Factory(new FixedTimeProvider(Now), new StubValidator(outcome)).Validate(NewPatient("mrn-j1")));

        Assert.Equal(FailureKind.Unprocessable, e.Kind);
    }

    [Fact]
    public void GivenOnlyWarningsAndInformation_WhenValidating_ThenTheyAreReturned()
    {
        var outcome = new OperationOutcome
        {
            Issue =
            [
                CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Warning, OperationOutcome.IssueType.CodeInvalid, "Unknown code", "Patient.gender"),
                CoreOutcomes.Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, "FYI", null),
            ],
        };
        var validator = new StubValidator(outcome);

        var warnings = Factory(new FixedTimeProvider(Now), validator).Validate(NewPatient("mrn-k2"));

        Assert.Same(outcome, warnings);
        Assert.Equal(2, warnings.Issue.Count);
        Assert.Equal(1, validator.Calls);
    }

    [Fact]
    public void GivenNoProfileValidation_WhenValidating_ThenNoIssues()
    {
        Assert.Empty(Factory(new FixedTimeProvider(Now)).Validate(NewPatient("mrn-l3")).Issue);
    }
}
