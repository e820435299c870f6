using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Search;

public class SearchQueryParserTests
{
    private static readonly SearchQueryParser Parser = new(new SearchParameterCatalog());

    private static KeyValuePair<string, string>[] Params(params (string Name, string Value)[] p) =>
        p.Select(x => KeyValuePair.Create(x.Name, x.Value)).ToArray();

    [Fact]
    public void GivenIdsSeparatedByCommas_WhenParsing_ThenOneIdCriterionOrsThem()
    {
        var query = Parser.Parse("Patient", Params(("_id", "pat-1a,pat-2b")), strict: true);

        Assert.Equal("Patient", query.ResourceType);
        var id = Assert.IsType<IdCriterion>(Assert.Single(query.Criteria));
        Assert.Equal("_id", id.Parameter);
        Assert.Equal(["pat-1a", "pat-2b"], id.Ids);
    }

    [Fact]
    public void GivenIdentifierWithEveryTokenForm_WhenParsing_ThenEachValueIsParsed()
    {
        var query = Parser.Parse(
            "Patient", Params(("identifier", @"http://x.org/mrn|mrn-7f3a21,|mrn-50c1d2,mrn-0b44e9,http://x.org/mrn|,a\,b")), strict: true);

        var token = Assert.IsType<TokenCriterion>(Assert.Single(query.Criteria));
        Assert.Equal("identifier", token.Parameter);
        Assert.Equal(
            [
                new TokenValue("http://x.org/mrn", "mrn-7f3a21", false),
                new TokenValue(null, "mrn-50c1d2", true),
                new TokenValue(null, "mrn-0b44e9", false),
                new TokenValue("http://x.org/mrn", null, false),
                new TokenValue(null, "a,b", false),
            ],
            token.Values);
    }

    [Fact]
    public void GivenEscapedCommaInId_WhenParsing_ThenItIsUnescapedAndNotSplit()
    {
        var query = Parser.Parse("Patient", Params(("_id", @"a\,b")), strict: true);

        Assert.Equal(["a,b"], Assert.IsType<IdCriterion>(Assert.Single(query.Criteria)).Ids);
    }

    [Fact]
    public void GivenIdAndIdentifier_WhenParsing_ThenBothCriteriaAreKeptInOrder()
    {
        var query = Parser.Parse("Observation", Params(("identifier", "obs-33e1"), ("_id", "obs-a")), strict: true);

        Assert.Collection(
            query.Criteria,
            c => Assert.Equal(new TokenValue(null, "obs-33e1", false), Assert.Single(Assert.IsType<TokenCriterion>(c).Values)),
            c => Assert.Equal(["obs-a"], Assert.IsType<IdCriterion>(c).Ids));
        Assert.False(query.IsEmpty);
    }

    [Theory]
    [InlineData("_count", "10")]
    [InlineData("_format", "json")]
    [InlineData("_pretty", "true")]
    [InlineData("_summary", "true")]
    [InlineData("_elements", "id")]
    [InlineData("_sort", "_id")]
    [InlineData("_total", "none")]
    [InlineData("_include", "Patient:organization")]
    [InlineData("_revinclude", "Observation:subject")]
    [InlineData("_page", "c12")]
    public void GivenResultParameter_WhenParsingStrictly_ThenItIsIgnored(string name, string value)
    {
        var query = Parser.Parse("Patient", Params((name, value), ("_id", "pat-77")), strict: true);

        Assert.Equal(["pat-77"], Assert.IsType<IdCriterion>(Assert.Single(query.Criteria)).Ids);
    }

    [Fact]
    public void GivenUnknownParameter_WhenParsingStrictly_Then400NamesTheParameter()
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Parser.Parse("Patient", Params(("_id", "p1"), ("shoe-size", "42")), strict: true));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "shoe-size", "'shoe-size'");
    }

    [Fact]
    public void GivenUnknownParameter_WhenParsingLeniently_ThenItIsIgnored()
    {
        var query = Parser.Parse("Patient", Params(("shoe-size", "42"), ("identifier", "mrn-19ab")), strict: false);

        var token = Assert.IsType<TokenCriterion>(Assert.Single(query.Criteria));
        Assert.Equal([new TokenValue(null, "mrn-19ab", false)], token.Values);
    }

    [Fact]
    public void GivenMissingModifierWithoutBoolean_WhenParsingStrictly_Then400NamesIt()
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Parser.Parse("Patient", Params(("identifier:missing", "maybe")), strict: true));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "identifier:missing", ":missing takes true or false");
    }

    [Fact]
    public void GivenIdentifierOnTypeWithoutIt_WhenParsingStrictly_Then400()
    {
        // Binary has no identifier element, so R4 defines no identifier search parameter for it.
        var e = Assert.Throws<FhirOutcomeException>(() => Parser.Parse("Binary", Params(("identifier", "x")), strict: true));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "identifier", "Binary");
    }

    [Fact]
    public void GivenParameterOfAnotherType_WhenParsingStrictly_Then400NamesIt()
    {
        // "code" is an Observation parameter, not a Patient one: a conditional interaction must not ignore it.
        var e = Assert.Throws<FhirOutcomeException>(() => Parser.Parse("Patient", Params(("code", "8867-4")), strict: true));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "code", "'code' is not supported for Patient");
    }

    [Theory]
    [InlineData("identifier", "")]
    [InlineData("identifier", ",")]
    [InlineData("_id", "")]
    [InlineData("_id", ",,")]
    public void GivenEmptyValue_WhenParsing_Then400NamesTheParameter(string name, string value)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Parser.Parse("Patient", Params((name, value)), strict: false));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, name, $"'{name}' has no value");
    }

    [Fact]
    public void GivenEmptyPartsAmongValues_WhenParsing_ThenOnlyNonEmptyValuesAreKept()
    {
        var query = Parser.Parse("Patient", Params(("_id", ",pat-5,")), strict: true);

        Assert.Equal(["pat-5"], Assert.IsType<IdCriterion>(Assert.Single(query.Criteria)).Ids);
    }

    [Fact]
    public void GivenNoParameters_WhenParsing_ThenTheQueryIsEmpty()
    {
        var query = Parser.Parse("Patient", Params(("_count", "3")), strict: true);

        Assert.Empty(query.Criteria);
        Assert.True(query.IsEmpty);
    }
}
