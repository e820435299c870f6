using static FhirCoordGateway.Validation.Tests.TestSupport;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>Core R4 checks on base resources, with no local profile.</summary>
public class CoreChecksTests
{
    private static List<string> Issues(string json) => Render(CoreValidator.Validate(Parse(json)));

    [Fact]
    public void GivenValidPatient_WhenValidating_ThenNoIssue()
    {
        var result = CoreValidator.Validate(Parse("""
            {"resourceType":"Patient","id":"p-7f3a21","identifier":[{"system":"urn:oid:1.2.3","value":"mrn-7f3a21"}],
             "name":[{"family":"Martin","given":["Jeanne"]}],"gender":"female","birthDate":"1950-04-12",
             "address":[{"line":["1 rue de la Paix"],"city":"Paris","postalCode":"75002"}]}
            """));
        Assert.True(!result.HasErrors && result.Issues.All(i => i.Key == "dom-6"), Describe(result));
    }

    [Fact]
    public void GivenUnknownElement_ThenStructureErrorAtItsPath() =>
        Assert.Equal(["error structure Patient.name[0].nickname", "warning invariant Patient dom-6"],
            Issues("""{"resourceType":"Patient","name":[{"family":"X","nickname":"Y"}]}"""));
}
