using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Search;

/// <summary>
/// The full parser (no I/O): every parameter type into its criterion, modifiers, prefixes and precision, chains,
/// _has, result parameters, strict and lenient handling, and the extraction side (folding, date ranges, :in expansion).
/// </summary>
public class SearchEngineParsingTests
{
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly OneValueSet ValueSets = new("https://fhircoord.example/fhir/ValueSet/vs-7f3a21", "http://s.example/cs", ["a", "b"]);

    private static readonly SearchQueryParser Parser = new(Catalog, ValueSets);

    private static SearchQuery Parse(string type, string query, bool strict = true) =>
        Parser.Parse(type, query.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])), strict, "http://gw.example.org/fhir");

    private static SearchCriterion One(string type, string query) => Assert.Single(Parse(type, query).Criteria);

    [Fact]
    public void GivenStringModifiers_WhenParsing_ThenMatchKinds()
    {
        Assert.Equal(StringMatch.StartsWith, Assert.IsType<StringCriterion>(One("Patient", "family=Dup")).Match);
        Assert.Equal(StringMatch.Exact, Assert.IsType<StringCriterion>(One("Patient", "family:exact=Dup")).Match);
        Assert.Equal(StringMatch.Contains, Assert.IsType<StringCriterion>(One("Patient", "family:contains=Dup")).Match);
        Assert.Equal("code:text", Assert.IsType<StringCriterion>(One("Observation", "code:text=glucose")).Parameter);
    }

    [Fact]
    public void GivenTokenModifiers_WhenParsing_ThenModifierAndExpandedValueSet()
    {
        Assert.Equal(TokenModifier.Not, Assert.IsType<TokenCriterion>(One("Patient", "gender:not=male")).Modifier);
        var ofType = Assert.IsType<TokenCriterion>(One("Patient", "identifier:of-type=http://t|MR|123"));
        Assert.Equal(("identifier:of-type", "http://t|MR", "123"), (ofType.IndexParameter, ofType.Values[0].System, ofType.Values[0].Code));
        var inVs = Assert.IsType<TokenCriterion>(One("Observation", "code:in=https://fhircoord.example/fhir/ValueSet/vs-7f3a21"));
        Assert.Equal([new TokenValue("http://s.example/cs", "a", false), new TokenValue("http://s.example/cs", "b", false)], inVs.Values);
        Assert.True(Assert.IsType<TokenCriterion>(One("Observation", "code:not-in=https://fhircoord.example/fhir/ValueSet/vs-7f3a21")).Negated);
        AssertInvalid(() => Parse("Observation", "code:in=http://unknown.example/vs"), "code:in");
        Assert.Equal(new MissingCriterion("gender", SearchParamKind.Token, true), One("Patient", "gender:missing=true"));
        AssertInvalid(() => Parse("Patient", "gender:missing=maybe"), "gender:missing");
    }

    [Theory]
    [InlineData("2024", "2024-01-01T00:00:00+01:00", "2024-12-31T23:59:59.999999+01:00")]
    [InlineData("2024-07", "2024-07-01T00:00:00+02:00", "2024-07-31T23:59:59.999999+02:00")]
    [InlineData("2024-03-15", "2024-03-15T00:00:00+01:00", "2024-03-15T23:59:59.999999+01:00")]
    [InlineData("2024-03-15T10:30", "2024-03-15T10:30:00+01:00", "2024-03-15T10:30:59.999999+01:00")]
    [InlineData("2024-03-15T10:30:05Z", "2024-03-15T10:30:05Z", "2024-03-15T10:30:05.999999Z")]
    [InlineData("2024-03-15T10:30:05.25+05:00", "2024-03-15T10:30:05.25+05:00", "2024-03-15T10:30:05.259999+05:00")]
    public void GivenDateAtEachPrecision_WhenParsing_ThenTheClosedRangeItCovers(string value, string low, string high)
    {
        var date = Assert.Single(Assert.IsType<DateCriterion>(One("Patient", "birthdate=" + value)).Values);

        Assert.Equal((DateTimeOffset.Parse(low), DateTimeOffset.Parse(high)), (date.Low, date.High));
    }

    [Theory]
    [InlineData("eq", Prefix.Eq)]
    [InlineData("ne", Prefix.Ne)]
    [InlineData("gt", Prefix.Gt)]
    [InlineData("lt", Prefix.Lt)]
    [InlineData("ge", Prefix.Ge)]
    [InlineData("le", Prefix.Le)]
    [InlineData("sa", Prefix.Sa)]
    [InlineData("eb", Prefix.Eb)]
    [InlineData("ap", Prefix.Ap)]
    public void GivenPrefix_WhenParsingDateNumberQuantity_ThenEachKeepsIt(string text, Prefix prefix)
    {
        Assert.Equal(prefix, Assert.Single(Assert.IsType<DateCriterion>(One("Patient", $"birthdate={text}2024")).Values).Prefix);
        Assert.Equal(prefix, Assert.Single(Assert.IsType<NumberCriterion>(One("RiskAssessment", $"probability={text}0.5")).Values).Prefix);
        Assert.Equal(prefix, Assert.Single(Assert.IsType<QuantityCriterion>(One("Observation", $"value-quantity={text}5|http://unitsofmeasure.org|mg")).Values).Number.Prefix);
    }

    [Fact]
    public void GivenNumbers_WhenParsing_ThenImplicitPrecisionRanges()
    {
        Assert.Equal((99.5m, 100.5m), Range(One("RiskAssessment", "probability=100")));
        Assert.Equal((0.245m, 0.255m), Range(One("RiskAssessment", "probability=0.25")));
        Assert.Equal((95m, 105m), Range(One("RiskAssessment", "probability=1.0e2")));

        static (decimal, decimal) Range(SearchCriterion c) => Assert.Single(Assert.IsType<NumberCriterion>(c).Values) is var v ? (v.Low, v.High) : default;
    }

    [Fact]
    public void GivenReferenceForms_WhenParsing_ThenTypeIdOrUrl()
    {
        Assert.Equal(new ReferenceValue("Patient", "p1", null), Single(One("CarePlan", "subject=Patient/p1")));
        Assert.Equal(new ReferenceValue("Patient", "p1", null), Single(One("CarePlan", "subject:Patient=p1")));
        Assert.Equal(new ReferenceValue(null, "p1", null), Single(One("CarePlan", "subject=p1")));
        Assert.Equal(new ReferenceValue("Patient", "p1", null), Single(One("CarePlan", "subject=http://gw.example.org/fhir/Patient/p1")));
        Assert.Equal(new ReferenceValue(null, null, "http://other.example/fhir/Patient/p1"), Single(One("CarePlan", "subject=http://other.example/fhir/Patient/p1")));
        Assert.Equal("subject:identifier", Assert.IsType<TokenCriterion>(One("CarePlan", "subject:identifier=urn:x|1")).Parameter);
        AssertInvalid(() => Parse("CarePlan", "subject:Observation=1"), "subject:Observation");

        static ReferenceValue Single(SearchCriterion c) => Assert.Single(Assert.IsType<ReferenceCriterion>(c).Values);
    }

    [Fact]
    public void GivenChainsAndHas_WhenParsing_ThenNestedCriteria()
    {
        var chain = Assert.IsType<ChainCriterion>(One("CarePlan", "subject:Patient.organization.name=Clinique"));
        Assert.Equal(["Patient"], chain.TargetTypes);
        var inner = Assert.IsType<ChainCriterion>(chain.Inner);
        Assert.IsType<StringCriterion>(inner.Inner);

        var has = Assert.IsType<HasCriterion>(One("Organization", "_has:Patient:organization:_has:CarePlan:subject:status=active"));
        Assert.Equal(("Patient", "organization"), (has.SourceType, has.ReferenceParameter));
        Assert.IsType<TokenCriterion>(Assert.IsType<HasCriterion>(has.Inner).Inner);
        AssertInvalid(() => Parse("Patient", "_has:Observation:code:status=final"), "_has:Observation:code:status");
        AssertInvalid(() => Parse("CarePlan", "subject.organization.partof.partof.name=x"), "subject.organization.partof.partof.name");
    }

    [Fact]
    public void GivenResultParameters_WhenParsing_ThenTheyControlTheResult()
    {
        var q = Parse("Patient", "family=x&_sort=-birthdate,family&_count=7&_total=estimate&_summary=data&_elements=name,birthDate&_include=Patient:organization&_revinclude:iterate=CarePlan:subject");

        Assert.Equal([new SortKey("birthdate", true), new SortKey("family", false)], q.Sort);
        Assert.Equal((7, TotalMode.Estimate, SummaryMode.Data), (q.Count, q.Total, q.Summary));
        Assert.Equal(["name", "birthDate"], q.Elements);
        Assert.Equal([new IncludeSpec("Patient", "organization", null, false)], q.Includes);
        Assert.Equal([new IncludeSpec("CarePlan", "subject", null, true)], q.RevIncludes);
        AssertInvalid(() => Parse("Patient", "_include=Patient:family"), "_include");
        AssertInvalid(() => Parse("Observation", "_sort=code-value-quantity"), "_sort");
        AssertInvalid(() => Parse("Patient", "_sort=no-such-parameter"), "_sort");
        Assert.Equal([new SortKey("identifier", false), new SortKey("general-practitioner", true)], Parse("Patient", "_sort=identifier,-general-practitioner").Sort);
    }

    [Fact]
    public void GivenUnknownParameter_WhenParsingLeniently_ThenIgnoredAndNotUnderstood()
    {
        var q = Parse("Patient", "family=x&frobnicate=1&_text=hello", strict: false);

        Assert.Single(q.Criteria);
        Assert.Equal(["frobnicate", "_text"], q.Ignored);
        Assert.Equal(["family"], q.Understood.Select(p => p.Key));
        AssertInvalid(() => Parse("Patient", "frobnicate=1"), "frobnicate");
    }

    [Fact]
    public void GivenSystemSearch_WhenParsing_ThenTypesAndCommonParametersOnly()
    {
        var q = Parser.ParseSystem([KeyValuePair.Create("_type", "Patient,CarePlan"), KeyValuePair.Create("_lastUpdated", "ge2024")], strict: true);

        Assert.Equal(["Patient", "CarePlan"], q.Types);
        Assert.IsType<DateCriterion>(Assert.Single(q.Criteria));
        AssertInvalid(() => Parser.ParseSystem([KeyValuePair.Create("_type", "Patient,CarePlan"), KeyValuePair.Create("family", "x")], strict: true), "family");
        AssertInvalid(() => Parser.ParseSystem([KeyValuePair.Create("_type", "Nope")], strict: true), "_type");
    }

    [Theory]
    [InlineData("Dupont-Éléonore", "DUPONT-ELEONORE")]
    [InlineData("Œdipe Straße", "OEDIPE STRASSE")]
    [InlineData("Łódź Ørsted", "LODZ ORSTED")]
    public void GivenAccentsAndLigatures_WhenFolding_ThenUpperCaseAscii(string value, string folded) =>
        Assert.Equal(folded, StringFold.Fold(value));

    [Fact]
    public void GivenPatient_WhenExtracting_ThenRowsOfEveryParameterType()
    {
        var rows = new SearchIndexer(Catalog).Extract(new Patient
        {
            Name = [new HumanName { Family = "Martin", Given = ["Zoé"] }],
            Gender = AdministrativeGender.Female,
            BirthDate = "1980-02",
            ManagingOrganization = new ResourceReference("Organization/o1"),
            Meta = new Meta { Tag = [new Coding("http://t", "x")], Profile = ["http://p"] },
        });

        Assert.Contains(new StringIndexEntry("family", "Martin"), rows.Strings);
        Assert.Contains(new TokenIndexEntry("gender", "http://hl7.org/fhir/administrative-gender", "female"), rows.Tokens);
        Assert.Contains(new TokenIndexEntry("_tag", "http://t", "x"), rows.Tokens);
        Assert.Contains(new UriIndexEntry("_profile", "http://p"), rows.Uris);
        Assert.Contains(new ReferenceIndexEntry("organization", "Organization", "o1", null), rows.References);
        var birth = Assert.Single(rows.Dates, d => d.Parameter == "birthdate");
        Assert.Equal(DateTimeOffset.Parse("1980-02-29T23:59:59.999999+01:00"), birth.High);
        Assert.Equal(0, new SearchIndexer(Catalog, new SearchOptions { IndexingEnabled = false }).Extract(new Patient { Gender = AdministrativeGender.Male }).Count);
    }

    [Theory]
    [InlineData("Account.subject | CarePlan.subject | CareTeam.subject", "CarePlan", "CarePlan.subject")]
    [InlineData("(ActivityDefinition.useContext.value as CodeableConcept) | (CarePlan.x as Period)", "CarePlan", "(CarePlan.x as Period)")]
    [InlineData("Patient.telecom.where(system='phone' or system = 'a|b') | Person.telecom", "Patient", "Patient.telecom.where(system='phone' or system = 'a|b')")]
    [InlineData("Patient.name", "Patient", "Patient.name")]
    [InlineData("Account.subject | Basic.subject", "CarePlan", "Account.subject | Basic.subject")]
    public void GivenSharedUnion_WhenNarrowingToAType_ThenOnlyItsBranchesRemain(string expression, string type, string narrowed) =>
        Assert.Equal(narrowed, SearchParameterCatalog.Narrow(expression, type));

    [Fact]
    public void GivenCatalog_WhenReadingACarePlanDate_ThenItsExpressionIsNarrowed() =>
        Assert.Equal("CarePlan.period", Catalog.Find("CarePlan", "date")!.Expression);

    private static void AssertInvalid(Action parse, string expression)
    {
        var e = Assert.Throws<FhirOutcomeException>(parse);
        Assert.Equal(FailureKind.Invalid, e.Kind);
        Assert.Equal([expression], e.Outcome.Issue.Single().Expression);
    }

    /// <summary>A single ValueSet listing codes of one system, as the server's terminology would expand it.</summary>
    private sealed class OneValueSet(string url, string system, string[] codes) : ILocalValueSets
    {
        public IReadOnlyList<TokenValue>? Expand(string requested) =>
            requested == url ? codes.Select(c => new TokenValue(system, c, false)).ToList() : null;
    }
}
