using System.Text;
using System.Text.Json.Nodes;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Patch;

namespace FhirCoordGateway.Core.Tests.Patch;

/// <summary>JSON Patch against the examples of RFC 6902 appendix A, and the 400/422 split.</summary>
public class JsonPatchTests
{
    private static string Apply(string document, string patch) =>
        JsonPatch.Apply(JsonNode.Parse(document)!, JsonPatch.Parse(Encoding.UTF8.GetBytes(patch))).ToJsonString();

    [Theory]
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz","value":"qux"}]""", """{"foo":"bar","baz":"qux"}""")] // A.1
    [InlineData("""{"foo":["bar","baz"]}""", """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")] // A.2
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")] // A.3
    [InlineData("""{"foo":["bar","qux","baz"]}""", """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")] // A.4
    [InlineData("""{"baz":"qux","foo":"bar"}""", """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")] // A.5
    [InlineData("""{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""", """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""", """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")] // A.6
    [InlineData("""{"foo":["all","grass","cows","eat"]}""", """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")] // A.7
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")] // A.10
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")] // A.16
    [InlineData("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":10},{"op":"copy","from":"/~1","path":"/x"}]""", """{"/":9,"~1":10,"x":9}""")] // A.14 escapes
    public void GivenRfc6902Example_WhenApplying_ThenTheRfcResult(string document, string patch, string expected)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(Apply(document, patch))));
    }

    [Theory]
    [InlineData("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""")] // A.9 failed test
    [InlineData("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""")] // A.12 missing parent
    [InlineData("""{"foo":["bar"]}""", """[{"op":"add","path":"/foo/5","value":1}]""")] // index out of bounds
    [InlineData("""{"foo":["bar"]}""", """[{"op":"remove","path":"/foo/01"}]""")] // leading zero is no index
    [InlineData("""{"a":{"b":1}}""", """[{"op":"move","from":"/a","path":"/a/b/c"}]""")] // into itself
    public void GivenPatchThatDoesNotFit_WhenApplying_ThenUnprocessable(string document, string patch)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Apply(document, patch));
        Assert.Equal(FailureKind.Unprocessable, e.Kind);
    }

    [Theory]
    [InlineData("""{"op":"add"}""")]
    [InlineData("""[{"op":"add","path":"/a"}]""")] // A.11-like: no value
    [InlineData("""[{"op":"copy","path":"/a"}]""")]
    [InlineData("""[{"op":"jump","path":"/a"}]""")]
    [InlineData("""[{"op":"remove","path":"a"}]""")]
    [InlineData("""[ "remove" ]""")]
    [InlineData("""[{"op":"remove","path":"/a"}""")]
    public void GivenMalformedPatch_WhenParsing_ThenInvalid(string patch)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => JsonPatch.Parse(Encoding.UTF8.GetBytes(patch)));
        Assert.Equal(FailureKind.Invalid, e.Kind);
    }
}
