using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Interactions;

public class PagingOptionsTests
{
    [Fact]
    public void GivenDefaults_WhenCountIsAbsent_ThenFifty()
    {
        Assert.Equal(50, new PagingOptions().PageSize(null));
    }

    [Fact]
    public void GivenConfiguredDefault_WhenCountIsAbsent_ThenTheConfiguredDefault()
    {
        Assert.Equal(7, new PagingOptions { DefaultPageSize = 7 }.PageSize(null));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("20", 20)]
    [InlineData("100", 100)]
    public void GivenCountWithinTheMaximum_WhenSizing_ThenTheCount(string count, int expected)
    {
        Assert.Equal(expected, new PagingOptions { MaxPageSize = 100 }.PageSize(count));
    }

    [Theory]
    [InlineData("101")]
    [InlineData("5000")]
    public void GivenCountAboveTheMaximum_WhenSizing_ThenCapped(string count)
    {
        Assert.Equal(100, new PagingOptions { MaxPageSize = 100 }.PageSize(count));
    }

    [Fact]
    public void GivenDefaultMaximum_WhenCountIsHuge_ThenOneThousand()
    {
        Assert.Equal(1000, new PagingOptions().PageSize("1000000"));
    }

    [Fact]
    public void GivenZero_WhenSizing_ThenAtLeastOne()
    {
        Assert.Equal(1, new PagingOptions().PageSize("0"));
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("-1")]
    [InlineData("2.5")]
    [InlineData("")]
    [InlineData(" 5")]
    public void GivenNonNumericCount_WhenSizing_Then400OnCount(string count)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => new PagingOptions().PageSize(count));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "_count", "_count must be");
    }
}
