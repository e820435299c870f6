using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Interactions;

/// <summary>https://hl7.org/fhir/R4/http.html#versioning</summary>
public class ETagTests
{
    [Theory]
    [InlineData(1, "W/\"1\"")]
    [InlineData(3, "W/\"3\"")]
    [InlineData(1234567, "W/\"1234567\"")]
    public void GivenVersion_WhenMakingETag_ThenItIsWeakAndQuoted(int version, string expected)
    {
        Assert.Equal(expected, ETag.Of(version));
    }

    [Theory]
    [InlineData("W/\"3\"", 3)]
    [InlineData("\"3\"", 3)]
    [InlineData("  W/\"17\"  ", 17)]
    [InlineData("W/\"0\"", 0)]
    public void GivenVersionETag_WhenParsingIfMatch_ThenTheVersionIsReturned(string header, int expected)
    {
        Assert.Equal(expected, ETag.ParseIfMatch(header));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void GivenNoHeader_WhenParsingIfMatch_ThenNull(string? header)
    {
        Assert.Null(ETag.ParseIfMatch(header));
    }

    [Theory]
    [InlineData("W/\"abc\"")]
    [InlineData("\"3.0\"")]
    [InlineData("\"-1\"")]
    [InlineData("*")]
    [InlineData("W/\"\"")]
    [InlineData("\"99999999999\"")]
    [InlineData("w/\"3\"")]
    public void GivenMalformedHeader_WhenParsingIfMatch_Then400OnIfMatch(string header)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => ETag.ParseIfMatch(header));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "If-Match", "If-Match must be a version ETag");
    }

    [Fact]
    public void GivenETagOfVersion_WhenParsingItBack_ThenTheSameVersion()
    {
        Assert.Equal(42, ETag.ParseIfMatch(ETag.Of(42)));
    }
}
