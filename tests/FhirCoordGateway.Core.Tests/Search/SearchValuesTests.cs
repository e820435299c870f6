using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Tests.Search;

/// <summary>Escaping and OR splitting. https://hl7.org/fhir/R4/search.html#escaping</summary>
public class SearchValuesTests
{
    [Fact]
    public void GivenCommaSeparatedValues_WhenSplittingOr_ThenEachValueIsReturnedInOrder()
    {
        Assert.Equal(["a-1", "b-2", "c-3"], SearchValues.SplitOr("a-1,b-2,c-3"));
    }

    [Fact]
    public void GivenEscapedComma_WhenSplittingOr_ThenItDoesNotSplitAndStaysEscaped()
    {
        Assert.Equal([@"a\,b", "c"], SearchValues.SplitOr(@"a\,b,c"));
    }

    [Fact]
    public void GivenEscapedBackslashBeforeComma_WhenSplittingOr_ThenTheCommaSplits()
    {
        Assert.Equal([@"a\\", "b"], SearchValues.SplitOr(@"a\\,b"));
    }

    [Fact]
    public void GivenEmptyParts_WhenSplittingOr_ThenTheyAreKept()
    {
        Assert.Equal(["", "a", ""], SearchValues.SplitOr(",a,"));
    }

    [Fact]
    public void GivenNoComma_WhenSplittingOr_ThenTheWholeTextIsTheOnlyValue()
    {
        Assert.Equal(["mrn-7f3a21"], SearchValues.SplitOr("mrn-7f3a21"));
    }

    [Theory]
    [InlineData(@"a\,b", "a,b")]
    [InlineData(@"a\|b", "a|b")]
    [InlineData(@"a\$b", "a$b")]
    [InlineData(@"a\\b", @"a\b")]
    [InlineData(@"a\\\,b", @"a\,b")]
    [InlineData("plain", "plain")]
    [InlineData(@"trailing\", @"trailing\")]
    public void GivenEscapedText_WhenUnescaping_ThenEscapesAreRemoved(string text, string expected)
    {
        Assert.Equal(expected, SearchValues.Unescape(text));
    }

    [Theory]
    [InlineData("a|b", 1)]
    [InlineData(@"a\|b|c", 4)]
    [InlineData(@"a\\|b", 3)]
    [InlineData(@"a\|b", -1)]
    [InlineData("", -1)]
    public void GivenText_WhenFindingUnescapedBar_ThenEscapedBarsAreSkipped(string text, int expected)
    {
        Assert.Equal(expected, SearchValues.IndexOfUnescaped(text, '|'));
    }
}
