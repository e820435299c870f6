using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>
/// Mutations of a valid core instance: each one must give an error at the mutated path, and nothing else.
/// </summary>
public class MutationTests
{
    private const string ValidObservation = """
        {"resourceType":"Observation","id":"mut-6a1f03","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
         "status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"Patient/mut-6a1f03"},
         "effectiveDateTime":"2024-03-01T10:00:00+01:00","valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}
        """;

    private static Observation Valid() => TestSupport.Parse<Observation>(ValidObservation);

    private static List<string> Errors(Resource r) =>
        TestSupport.Render(TestSupport.CoreValidator.Validate(r)).Where(i => i.StartsWith("error", StringComparison.Ordinal)).ToList();

    [Fact]
    public void GivenValidObservation_ThenNoError() => Assert.Empty(Errors(Valid()));

    [Fact]
    public void GivenRequiredElementDropped_ThenErrorAtItsPath()
    {
        var o = Valid();
        o.Code = null!;
        Assert.Equal(["error structure Observation.code"], Errors(o));
    }

    [Fact]
    public void GivenMaxOneElementRepeatedInJson_ThenParserAndValidatorAgree()
    {
        // A max-1 element cannot be repeated in a POCO; in JSON the Strict parser rejects the array.
        var json = ValidObservation.Replace("\"status\":\"final\"", "\"status\":[\"final\",\"amended\"]", StringComparison.Ordinal);
        var failure = Assert.Throws<DeserializationFailedException>(() =>
            new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict)).DeserializeResource(json));
        var result = TestSupport.CoreValidator.ValidateParseFailure(failure);
        Assert.Contains(result.Issues, i => i.IsError && i.Expression.StartsWith("Observation.status", StringComparison.Ordinal));
    }

    [Fact]
    public void GivenEmptyRepeatingElementAdded_ThenEmptyAndMissingChildErrors()
    {
        var o = Valid();
        o.Component.Add(new Observation.ComponentComponent());
        Assert.Equal(new[] { "error invalid Observation.component[0] ele-1", "error structure Observation.component[0].code" },
            Errors(o));
    }

    [Fact]
    public void GivenCodeChangedOutsideRequiredBinding_ThenCodeInvalidAtThatPath()
    {
        var o = Valid();
        o.StatusElement = new Code<ObservationStatus> { JsonValue = "done" };
        Assert.Equal(["error code-invalid Observation.status"], Errors(o));
    }

    [Fact]
    public void GivenBadDateInChoice_ThenFormatErrorAtTheChoicePath()
    {
        var o = Valid();
        o.Effective = new FhirDateTime { JsonValue = "2024-03-01T25:00:00+01:00" };
        Assert.Equal(["error invalid Observation.effective.ofType(dateTime)"], Errors(o));
    }
}
