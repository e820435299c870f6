using FhirCoordGateway.Core.Search;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Search;

/// <summary>In-memory matching of a parsed search against one resource (the seam for subscription criteria).</summary>
public class SearchMatcherTests
{
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SearchQueryParser Parser = new(Catalog);
    private static readonly SearchMatcher Matcher = new(new SearchIndexer(Catalog));

    private static readonly CarePlan Plan = new()
    {
        Id = "cp-7f3a21", Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan,
        Subject = new ResourceReference("Patient/pat-7f3a21"),
        Category = [new CodeableConcept("https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category", "pps")],
        Period = new Period { Start = "2025-03-01", End = "2025-09-30" },
    };

    [Theory]
    [InlineData("status=active", true)]
    [InlineData("status=draft,active", true)]
    [InlineData("status:not=active", false)]
    [InlineData("subject=Patient/pat-7f3a21", true)]
    [InlineData("patient=pat-7f3a21", true)]
    [InlineData("subject=Patient/other", false)]
    [InlineData("category=https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category|pps&status=active", true)]
    [InlineData("category=|pps", false)]
    [InlineData("date=2025", true)]
    [InlineData("date=ge2025-09-30", true)]
    [InlineData("date=sa2025-10-01", false)]
    [InlineData("_id=cp-7f3a21", true)]
    [InlineData("intent:missing=false", true)]
    [InlineData("care-team:missing=true", true)]
    public void GivenCarePlan_WhenMatchingCriteria_ThenSameAnswerAsTheSearch(string criteria, bool expected)
    {
        var query = Parser.Parse("CarePlan", criteria.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])), strict: true);

        Assert.Equal(expected, Matcher.Matches(query, Plan));
    }

    [Fact]
    public void GivenChainOrOtherType_WhenMatching_ThenUndecidedOrFalse()
    {
        Assert.Null(Matcher.Matches(Parser.Parse("CarePlan", [KeyValuePair.Create("subject:Patient.family", "x")], strict: true), Plan));
        Assert.False(Matcher.Matches(Parser.Parse("Patient", [KeyValuePair.Create("_id", "cp-7f3a21")], strict: true), Plan));
    }

    [Fact]
    public void GivenRestriction_WhenMatching_ThenResourcesOutsideItNeverMatch()
    {
        var all = Parser.Parse("CarePlan", [], strict: true);
        var plan = (CarePlan)Plan.DeepCopy();
        plan.Meta = new Meta { Security = [new Coding("http://example.org/conf", "MASQUE_PS")] };

        Assert.True(Matcher.Matches(all with { Restriction = SearchRestriction.Compartment("Patient", "pat-7f3a21") }, Plan));
        Assert.False(Matcher.Matches(all with { Restriction = SearchRestriction.Compartment("Patient", "other") }, Plan));
        Assert.True(Matcher.Matches(all with { Restriction = SearchRestriction.AllTypes.WithoutSecurityLabel("http://example.org/conf", "MASQUE_PS") }, Plan));
        Assert.False(Matcher.Matches(all with { Restriction = SearchRestriction.AllTypes.WithoutSecurityLabel("http://example.org/conf", "MASQUE_PS") }, plan));

        var practitioners = Parser.Parse("Practitioner", [], strict: true);
        var practitioner = new Practitioner { Id = "pr-7f3a21" };
        Assert.False(Matcher.Matches(practitioners with { Restriction = SearchRestriction.Compartment("Patient", "pat-7f3a21") }, practitioner));
        Assert.True(Matcher.Matches(practitioners with { Restriction = SearchRestriction.Compartment("Patient", "pat-7f3a21", otherTypesAllowed: true) }, practitioner));
        Assert.True(Matcher.Matches(Parser.Parse("Patient", [], strict: true) with { Restriction = SearchRestriction.Compartment("Patient", "pat-7f3a21") }, new Patient { Id = "pat-7f3a21" }));
    }

    [Fact]
    public void GivenCompartmentOfAnyPatient_WhenMatching_ThenAnyPatientAndWhatRefersToOneMatch()
    {
        var anyPatient = new CompartmentCriterion("Patient", null);

        Assert.True(Matcher.Matches(new SearchQuery("CarePlan", [anyPatient]), Plan));
        Assert.False(Matcher.Matches(new SearchQuery("CarePlan", [anyPatient]), new CarePlan { Id = "cp-orphan", Subject = new ResourceReference("Group/g1") }));
        Assert.True(Matcher.Matches(new SearchQuery("Patient", [anyPatient]), new Patient { Id = "any-7f3a21" }));
    }
}
