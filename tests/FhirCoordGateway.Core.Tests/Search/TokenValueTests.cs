using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Tests.Search;

/// <summary>Token values. https://hl7.org/fhir/R4/search.html#token</summary>
public class TokenValueTests
{
    [Fact]
    public void GivenSystemAndCode_WhenParsing_ThenBothAreSetAndSystemIsRequired()
    {
        Assert.Equal(new TokenValue("urn:oid:1.2.36.146.595.217.0.1", "mrn-7f3a21", false), TokenValue.Parse("urn:oid:1.2.36.146.595.217.0.1|mrn-7f3a21"));
    }

    [Fact]
    public void GivenLeadingBar_WhenParsing_ThenCodeMustHaveNoSystem()
    {
        Assert.Equal(new TokenValue(null, "mrn-50c1d2", true), TokenValue.Parse("|mrn-50c1d2"));
    }

    [Fact]
    public void GivenCodeOnly_WhenParsing_ThenAnySystemMatches()
    {
        Assert.Equal(new TokenValue(null, "mrn-0b44e9", false), TokenValue.Parse("mrn-0b44e9"));
    }

    [Fact]
    public void GivenTrailingBar_WhenParsing_ThenAnyCodeOfTheSystemMatches()
    {
        Assert.Equal(new TokenValue("http://example.org/mrn-e1", null, false), TokenValue.Parse("http://example.org/mrn-e1|"));
    }

    [Fact]
    public void GivenBarAlone_WhenParsing_ThenNoSystemAndNoCode()
    {
        Assert.Equal(new TokenValue(null, null, true), TokenValue.Parse("|"));
    }

    [Fact]
    public void GivenEscapedBarInCode_WhenParsing_ThenItIsPartOfTheCode()
    {
        Assert.Equal(new TokenValue(null, "a|b-91c3", false), TokenValue.Parse(@"a\|b-91c3"));
    }

    [Fact]
    public void GivenEscapedBarInSystem_WhenParsing_ThenTheFirstUnescapedBarSplits()
    {
        Assert.Equal(new TokenValue("sys|x", "code|y-4d1e", false), TokenValue.Parse(@"sys\|x|code\|y-4d1e"));
    }

    [Fact]
    public void GivenEscapedCommaDollarAndBackslash_WhenParsing_ThenTheyAreUnescaped()
    {
        Assert.Equal(new TokenValue("s,1", @"c$2\3", false), TokenValue.Parse(@"s\,1|c\$2\\3"));
    }

    [Fact]
    public void GivenSecondUnescapedBar_WhenParsing_ThenItStaysInTheCode()
    {
        Assert.Equal(new TokenValue("s", "c|d", false), TokenValue.Parse("s|c|d"));
    }
}
