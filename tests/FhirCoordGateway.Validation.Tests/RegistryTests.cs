using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>Run-time conformance writes: add, replace, reject, dependents re-derived, generations pinned.</summary>
public class RegistryTests
{
    private const string Url = "https://fhircoord.example/fhir/test/StructureDefinition/registry-patient";

    private static StructureDefinition PatientProfile(string url, params ElementDefinition[] elements) => new()
    {
        Url = url, Name = "RegistryPatient", Status = PublicationStatus.Active, Kind = StructureDefinition.StructureDefinitionKind.Resource,
        Abstract = false, Type = "Patient", BaseDefinition = "http://hl7.org/fhir/StructureDefinition/Patient",
        Derivation = StructureDefinition.TypeDerivationRule.Constraint,
        Differential = new StructureDefinition.DifferentialComponent { Element = elements.ToList() },
    };

    private static ElementDefinition Min1(string path) => new(path) { ElementId = path, Min = 1 };

    private static Patient Patient(string? birthDate = null, string? gender = null) => new()
    {
        Id = "reg-5c2e91",
        Meta = new Meta { Profile = [Url] },
        BirthDateElement = birthDate is null ? null : new Date(birthDate),
        Gender = gender is null ? null : Enum.Parse<AdministrativeGender>(gender, ignoreCase: true),
        Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" },
    };

    [Fact]
    public void GivenDifferentialProfile_WhenAdded_ThenSnapshotIsGeneratedAndUsedWithoutRestart()
    {
        var registry = new ProfileRegistry();
        var validator = new FhirProfileValidator(registry);
        Assert.Equal(["error not-found Patient.meta.profile[0]"], TestSupport.Render(validator.Validate(Patient())));

        var write = registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthDate")));

        Assert.True(write.Success);
        Assert.Equal([Url], write.Accepted);
        Assert.Equal(["error structure Patient.birthDate"], TestSupport.Render(validator.Validate(Patient())));
    }

    [Fact]
    public void GivenProfileReplaced_WhenValidating_ThenNewVersionAppliesAndPinnedGenerationKeepsOld()
    {
        var registry = new ProfileRegistry();
        var validator = new FhirProfileValidator(registry);
        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthDate")));
        var before = registry.Current;

        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.gender")));

        Assert.Equal(["error structure Patient.gender"], TestSupport.Render(validator.Validate(Patient(birthDate: "1950-01-01"))));
        Assert.Empty(TestSupport.Render(validator.Validate(Patient(gender: "female"))));
        Assert.True(registry.Current.Number > before.Number);
        var oldSnapshot = (StructureDefinition)before.Resolve(Url)!;
        Assert.Equal(1, oldSnapshot.Snapshot!.Element.Single(e => e.Path == "Patient.birthDate").Min);
    }

    [Fact]
    public void GivenBaseProfileReplaced_WhenValidating_ThenDerivedProfileIsRegenerated()
    {
        const string derived = Url + "-derived";
        var registry = new ProfileRegistry();
        var validator = new FhirProfileValidator(registry);
        var child = PatientProfile(derived, Min1("Patient.gender"));
        child.BaseDefinition = Url;
        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthDate")), child);
        var patient = Patient(gender: "male");
        patient.Meta!.Profile = [derived];
        Assert.Equal(["error structure Patient.birthDate"], TestSupport.Render(validator.Validate(patient)));

        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.name")));

        Assert.Equal(["error structure Patient.name"], TestSupport.Render(validator.Validate(patient)));
    }

    [Fact]
    public void GivenProfileWhoseSnapshotFails_WhenAdded_ThenRejectedWithOutcomeAndPreviousVersionKept()
    {
        var registry = new ProfileRegistry();
        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthDate")));
        // Out of order: name comes before birthDate in Patient.
        var broken = PatientProfile(Url, Min1("Patient.birthDate"), Min1("Patient.name"));

        var write = registry.AddOrReplace(broken);

        Assert.False(write.Success);
        Assert.Equal([Url], write.Rejected);
        Assert.Contains(write.Outcome.Issue, i => i.Severity == OperationOutcome.IssueSeverity.Error && i.Diagnostics!.Contains("out of order"));
        var validator = new FhirProfileValidator(registry);
        Assert.Equal(["error structure Patient.birthDate"], TestSupport.Render(validator.Validate(Patient())));
    }

    [Fact]
    public void GivenProfileWithMisspeltElement_WhenAdded_ThenRejected()
    {
        var registry = new ProfileRegistry();

        var write = registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthdate")));

        Assert.False(write.Success);
        Assert.Contains(write.Outcome.Issue, i => i.Diagnostics!.Contains("'Patient.birthdate' matches no element"));
        Assert.Null(registry.Current.Resolve(Url));
    }

    [Fact]
    public void GivenProfileWithUnknownBase_WhenAdded_ThenRejected()
    {
        var registry = new ProfileRegistry();
        var sd = PatientProfile(Url, Min1("Patient.birthDate"));
        sd.BaseDefinition = "https://fhircoord.example/fhir/StructureDefinition/missing-base";

        var write = registry.AddOrReplace(sd);

        Assert.False(write.Success);
        Assert.Null(registry.Current.Resolve(Url));
    }

    [Fact]
    public void GivenValueSetAdded_WhenValidating_ThenBindingUsesIt()
    {
        const string vsUrl = "https://fhircoord.example/fhir/test/ValueSet/registry-genders";
        var registry = new ProfileRegistry();
        var profile = PatientProfile(Url, new ElementDefinition("Patient.gender")
        {
            ElementId = "Patient.gender",
            Binding = new ElementDefinition.ElementDefinitionBindingComponent { Strength = BindingStrength.Required, ValueSet = vsUrl },
        });
        var vs = new ValueSet
        {
            Url = vsUrl, Status = PublicationStatus.Active,
            Compose = new ValueSet.ComposeComponent { Include = [new ValueSet.ConceptSetComponent
                { System = "http://hl7.org/fhir/administrative-gender", Concept = [new ValueSet.ConceptReferenceComponent { Code = "female" }] }] },
        };
        Assert.True(registry.AddOrReplace(profile, vs).Success);
        var validator = new FhirProfileValidator(registry);
        Assert.Equal(["error code-invalid Patient.gender"], TestSupport.Render(validator.Validate(Patient(gender: "male"))));

        vs.Compose.Include[0].Concept.Add(new ValueSet.ConceptReferenceComponent { Code = "male" });
        registry.AddOrReplace(vs);

        Assert.Empty(TestSupport.Render(validator.Validate(Patient(gender: "male"))));
    }

    [Fact]
    public void GivenProfileRemoved_WhenValidating_ThenItIsUnknownAgain()
    {
        var registry = new ProfileRegistry();
        var validator = new FhirProfileValidator(registry);
        registry.AddOrReplace(PatientProfile(Url, Min1("Patient.birthDate")));
        Assert.Equal(["error structure Patient.birthDate"], TestSupport.Render(validator.Validate(Patient())));

        var removal = registry.Remove(Url);

        Assert.True(removal.Success);
        Assert.Null(registry.Current.Resolve(Url));
        Assert.Equal(["error not-found Patient.meta.profile[0]"], TestSupport.Render(validator.Validate(Patient())));
    }

    [Fact]
    public void GivenNonConformanceResource_WhenAdded_ThenRejected()
    {
        var write = new ProfileRegistry().AddOrReplace(new Patient { Id = "x" });
        Assert.False(write.Success);
    }
}
