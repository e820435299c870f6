using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Interactions;

public class ResourceTypesTests
{
    [Theory]
    [InlineData("Patient")]
    [InlineData("Observation")]
    [InlineData("DocumentReference")]
    [InlineData("Subscription")]
    [InlineData("Bundle")]
    [InlineData("Binary")]
    [InlineData("Parameters")]
    [InlineData("OperationOutcome")]
    [InlineData("MedicinalProductAuthorization")] // R4 only
    public void GivenConcreteR4Type_WhenCheckingSupport_ThenItIsSupported(string type)
    {
        Assert.Contains(type, (IReadOnlySet<string>)ResourceTypes.All);
        ResourceTypes.EnsureSupported(type);
    }

    [Theory]
    [InlineData("Resource")]
    [InlineData("DomainResource")]
    [InlineData("patient")]
    [InlineData("Patients")]
    [InlineData("HumanName")]
    [InlineData("ActorDefinition")] // R5 only
    [InlineData("")]
    public void GivenNotAConcreteR4Type_WhenCheckingSupport_Then404NamingIt(string type)
    {
        Assert.DoesNotContain(type, (IReadOnlySet<string>)ResourceTypes.All);

        var e = Assert.Throws<FhirOutcomeException>(() => ResourceTypes.EnsureSupported(type));

        Assertions.SingleIssue(e, FailureKind.NotFound, 404, OperationOutcome.IssueType.NotFound, null, $"Resource type '{type}' is not supported.");
    }

    [Fact]
    public void GivenAllTypes_WhenListed_ThenEveryOneIsAConcreteResourceClass()
    {
        Assert.All(ResourceTypes.All, t =>
        {
            var clr = ModelInfo.GetTypeForFhirType(t);
            Assert.NotNull(clr);
            Assert.False(clr.IsAbstract);
            Assert.True(typeof(Resource).IsAssignableFrom(clr), t);
        });
        Assert.True(ResourceTypes.All.Count > 140, $"only {ResourceTypes.All.Count} types");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("pat-7f3a21")]
    [InlineData("0192f4a1-5c2e-7b3d-9a8e-1f2d3c4b5a69")]
    [InlineData("A.b-C.9")]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234")] // 64
    public void GivenValidId_WhenValidating_ThenAccepted(string id)
    {
        ResourceTypes.EnsureValidId(id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345")] // 65
    [InlineData("a_b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("é")]
    [InlineData("abc\n")]
    [InlineData("\nabc")]
    public void GivenInvalidId_WhenValidating_Then400OnTheExpression(string id)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => ResourceTypes.EnsureValidId(id, "Patient.id"));

        Assertions.SingleIssue(e, FailureKind.Invalid, 400, OperationOutcome.IssueType.Invalid, "Patient.id", "1 to 64");
    }

    [Fact]
    public void GivenInvalidIdAndNoExpression_WhenValidating_ThenTheExpressionIsId()
    {
        var e = Assert.Throws<FhirOutcomeException>(() => ResourceTypes.EnsureValidId("no spaces"));

        Assert.Equal(["id"], Assert.Single(e.Outcome.Issue).Expression);
    }
}
