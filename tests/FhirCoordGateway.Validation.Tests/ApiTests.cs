using FhirCoordGateway.Validation.Registry;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>The public surface the server uses: OperationOutcome shape, parse failures, policies, terminology.</summary>
public class ApiTests
{
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    [Fact]
    public void GivenInvariantFailure_WhenBuildingOutcome_ThenKeyIsInMessageAndDetailsCoding()
    {
        var patient = TestSupport.Parse("""{"resourceType":"Patient","id":"oo-2d7f10","contact":[{"gender":"male"}]}""");

        var outcome = TestSupport.CoreValidator.Validate(patient).ToOperationOutcome();

        var issue = Assert.Single(outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error);
        Assert.Equal(OperationOutcome.IssueType.Invariant, issue.Code);
        Assert.Equal(["Patient.contact[0]"], issue.Expression);
        Assert.StartsWith("pat-1: ", issue.Details!.Text);
        Assert.Equal(("https://fhircoord.example/fhir/CodeSystem/validation-rule", "pat-1"),
            (issue.Details!.Coding[0].System, issue.Details.Coding[0].Code));
    }

    [Fact]
    public void GivenNoIssue_WhenBuildingOutcome_ThenOneInformationIssue()
    {
        var patient = TestSupport.Parse("""{"resourceType":"Patient","id":"oo-77aa01","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}""");
        var result = TestSupport.CoreValidator.Validate(patient);
        Assert.False(result.HasErrors);
        Assert.Equal(OperationOutcome.IssueSeverity.Information, Assert.Single(result.ToOperationOutcome().Issue).Severity);
    }

    [Fact]
    public void GivenStrictParseFailure_WhenValidatingIt_ThenParserAndValidatorIssuesAreMergedOnce()
    {
        const string json = """
            {"resourceType":"Patient","id":"pf-1e6b44","birthDate":"1950-13-01","identifier":[{"system":"urn:oid:1.2.3","value":"a"},{"value":12}],
             "contact":[{"gender":"male"}]}
            """;
        var failure = Assert.Throws<DeserializationFailedException>(() => Strict.DeserializeResource(json));

        var result = TestSupport.CoreValidator.ValidateParseFailure(failure);

        var errors = TestSupport.Render(result).Where(i => i.StartsWith("error")).ToList();
        Assert.Contains(errors, e => e.StartsWith("error value Patient.birthDate") || e.StartsWith("error invalid Patient.birthDate"));
        Assert.Contains(errors, e => e.Contains(" Patient.identifier[1].value"));
        Assert.Contains("error invariant Patient.contact[0] pat-1", errors);
        Assert.Single(errors, e => e.Contains(" Patient.birthDate"));
    }

    [Fact]
    public void GivenUnknownProfiles_WhenValidating_ThenOwnBaseIsErrorAndOthersWarning()
    {
        var patient = TestSupport.Parse("""
            {"resourceType":"Patient","id":"up-4f0c2a","meta":{"profile":[
              "https://fhircoord.example/fhir/StructureDefinition/not-there","http://partner.example.org/StructureDefinition/theirs"]}}
            """);

        var issues = TestSupport.Render(TestSupport.CoreValidator.Validate(patient));

        Assert.Contains("error not-found Patient.meta.profile[0]", issues);
        Assert.Contains("warning not-found Patient.meta.profile[1]", issues);
    }

    [Fact]
    public void GivenPolicyOverride_WhenUnknownOwnProfile_ThenWarning()
    {
        var options = new FhirProfileValidatorOptions { UnknownOwnProfileSeverity = OperationOutcome.IssueSeverity.Warning };
        var validator = new FhirProfileValidator(new ProfileRegistry(), options);
        var patient = TestSupport.Parse("""{"resourceType":"Patient","id":"up-9","meta":{"profile":["https://fhircoord.example/fhir/StructureDefinition/not-there"]}}""");
        Assert.Contains("warning not-found Patient.meta.profile[0]", TestSupport.Render(validator.Validate(patient)));
    }

    [Fact]
    public void GivenDefaultProfileForType_WhenValidatingWithoutMetaProfile_ThenItIsChecked()
    {
        var registry = new ProfileRegistry();
        var sd = TestSupport.Parse<StructureDefinition>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cardinality", "min-max", "profile.json")));
        registry.AddOrReplace(sd);
        var options = new FhirProfileValidatorOptions();
        options.DefaultProfiles["Patient"] = [sd.Url!];
        var validator = new FhirProfileValidator(registry, options);

        var issues = TestSupport.Render(validator.Validate(TestSupport.Parse("""{"resourceType":"Patient","id":"dp-1","name":[{"family":"X","given":["Y"]}]}""")));

        Assert.Contains("error structure Patient.birthDate", issues);
    }

    [Fact]
    public void GivenCoreValueSet_WhenExpandingAndValidatingCodes_ThenLocalTerminologyAnswers()
    {
        var tx = new TerminologyOperations(new ProfileRegistry());

        var expansion = tx.Expand("http://hl7.org/fhir/ValueSet/administrative-gender");

        Assert.NotNull(expansion);
        Assert.Equal(["female", "male", "other", "unknown"], expansion!.Expansion!.Contains.Select(c => c.Code).Order());
        Assert.True(tx.ValidateCode("http://hl7.org/fhir/ValueSet/administrative-gender", "http://hl7.org/fhir/administrative-gender", "male").Result);
        Assert.False(tx.ValidateCode("http://hl7.org/fhir/ValueSet/administrative-gender", null, "homme").Result);
        Assert.Null(tx.Expand("https://fhircoord.example/fhir/ValueSet/unknown"));
        Assert.Null(tx.ValidateCode("http://hl7.org/fhir/ValueSet/clinical-findings", "http://snomed.info/sct", "22298006").Result);
        Assert.True(tx.ValidateCodeInCodeSystem("http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "M").Result);
    }

    [Fact]
    public void GivenCoreDefinitions_WhenLoaded_ThenTypesResourcesAndTerminologyAreIndexed()
    {
        var core = CoreDefinitions.CoreDefinitionSource.Shared;
        Assert.True(core.Count > 3000);
        var patient = Assert.IsType<StructureDefinition>(core.Resolve("http://hl7.org/fhir/StructureDefinition/Patient"));
        Assert.DoesNotContain(patient.Snapshot!.Element, e => e.Definition is not null);
        // Medplum's vendor elements are stripped.
        var meta = Assert.IsType<StructureDefinition>(core.Resolve("http://hl7.org/fhir/StructureDefinition/Meta"));
        Assert.DoesNotContain(meta.Snapshot!.Element, e => e.Path == "Meta.project");
        Assert.IsType<CodeSystem>(core.Resolve("CodeSystem", "http://terminology.hl7.org/CodeSystem/v2-0203"));
        Assert.IsType<ValueSet>(core.Resolve("http://hl7.org/fhir/ValueSet/identifier-type"));
    }
}
