using FhirCoordGateway.Core.Search;

namespace FhirCoordGateway.Core.Tests.Search;

/// <summary>The lock key of conditional interactions: equal for the same search written differently.</summary>
public class SearchQueryKeyTests
{
    private static readonly SearchQueryParser Parser = new(new SearchParameterCatalog());

    private static string KeyOf(string resourceType, params (string Name, string Value)[] p) =>
        SearchQueryKey.Of(Parser.Parse(resourceType, p.Select(x => KeyValuePair.Create(x.Name, x.Value)), strict: true));

    [Fact]
    public void GivenReorderedCriteria_WhenKeying_ThenKeysAreEqual()
    {
        Assert.Equal(
            KeyOf("Patient", ("_id", "p-1"), ("identifier", "s|mrn-7f3a21")),
            KeyOf("Patient", ("identifier", "s|mrn-7f3a21"), ("_id", "p-1")));
    }

    [Fact]
    public void GivenReorderedValues_WhenKeying_ThenKeysAreEqual()
    {
        Assert.Equal(
            KeyOf("Patient", ("_id", "p-2,p-1"), ("identifier", "s|b,|a,c")),
            KeyOf("Patient", ("_id", "p-1,p-2"), ("identifier", "c,|a,s|b")));
    }

    [Fact]
    public void GivenResultParameters_WhenKeying_ThenTheyDoNotChangeTheKey()
    {
        Assert.Equal(KeyOf("Patient", ("identifier", "mrn-1")), KeyOf("Patient", ("_count", "5"), ("identifier", "mrn-1")));
    }

    [Theory]
    [InlineData("s|mrn-1", "mrn-1")]
    [InlineData("|mrn-1", "mrn-1")]
    [InlineData("s|mrn-1", "t|mrn-1")]
    [InlineData("s|", "s|mrn-1")]
    public void GivenDifferentTokenValues_WhenKeying_ThenKeysDiffer(string a, string b)
    {
        Assert.NotEqual(KeyOf("Patient", ("identifier", a)), KeyOf("Patient", ("identifier", b)));
    }

    [Fact]
    public void GivenSameCriteriaOnDifferentTypes_WhenKeying_ThenKeysDiffer()
    {
        Assert.NotEqual(KeyOf("Patient", ("_id", "x")), KeyOf("Observation", ("_id", "x")));
    }

    [Fact]
    public void GivenDifferentIds_WhenKeying_ThenKeysDiffer()
    {
        Assert.NotEqual(KeyOf("Patient", ("_id", "x")), KeyOf("Patient", ("_id", "x,y")));
    }
}
