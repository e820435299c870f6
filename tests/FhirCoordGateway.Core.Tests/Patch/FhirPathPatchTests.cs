using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Patch;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Patch;

/// <summary>FHIRPath Patch operations on the object model. https://hl7.org/fhir/R4/fhirpatch.html</summary>
public class FhirPathPatchTests
{
    private static Parameters.ParameterComponent Op(string type, string path, params (string Name, DataType Value)[] parts)
    {
        var op = new Parameters.ParameterComponent { Name = "operation" };
        op.Part.Add(new() { Name = "type", Value = new Code(type) });
        op.Part.Add(new() { Name = "path", Value = new FhirString(path) });
        op.Part.AddRange(parts.Select(p => new Parameters.ParameterComponent { Name = p.Name, Value = p.Value }));
        return op;
    }

    private static Patient Patient() => new()
    {
        Identifier = [new Identifier("urn:a", "1"), new Identifier("urn:b", "2"), new Identifier("urn:c", "3")],
        Name = [new HumanName { Family = "Chalmers", Given = ["Peter", "James"] }],
        BirthDate = "1974-12-25",
    };

    private static Patient Patched(params Parameters.ParameterComponent[] ops)
    {
        var patient = Patient();
        FhirPathPatch.Apply(patient, new Parameters { Parameter = ops.ToList() });
        return patient;
    }

    [Fact]
    public void GivenInsertAndMove_ThenListOrderChanges()
    {
        var patient = Patched(
            Op("insert", "Patient.identifier", ("value", new Identifier("urn:z", "0")), ("index", new Integer(0))),
            Op("move", "Patient.identifier", ("source", new Integer(3)), ("destination", new Integer(1))));

        Assert.Equal(["urn:z", "urn:c", "urn:a", "urn:b"], patient.Identifier.Select(i => i.System));
    }

    [Fact]
    public void GivenDeleteWithWhere_ThenOnlyTheSelectedElementGoes()
    {
        var patient = Patched(Op("delete", "Patient.identifier.where(system = 'urn:b')"), Op("delete", "Patient.name.given[0]"));

        Assert.Equal(["urn:a", "urn:c"], patient.Identifier.Select(i => i.System));
        Assert.Equal(["James"], patient.Name[0].Given);
    }

    [Fact]
    public void GivenDeleteOfNothing_ThenNoChangeAndNoError()
    {
        var patient = Patched(Op("delete", "Patient.telecom"));

        Assert.Equal(3, patient.Identifier.Count);
    }

    [Fact]
    public void GivenReplaceAndAdd_ThenValuesSet()
    {
        var patient = Patched(
            Op("replace", "Patient.birthDate", ("value", new Date("1975-01-01"))),
            Op("replace", "Patient.identifier[1].value", ("value", new FhirString("22"))),
            Op("add", "Patient", ("name", new FhirString("active")), ("value", new FhirBoolean(true))),
            Op("add", "Patient.name[0]", ("name", new FhirString("given")), ("value", new FhirString("Jim"))));

        Assert.Equal("1975-01-01", patient.BirthDate);
        Assert.Equal("22", patient.Identifier[1].Value);
        Assert.True(patient.Active);
        Assert.Equal(["Peter", "James", "Jim"], patient.Name[0].Given);
    }

    [Fact]
    public void GivenAddOnAnElementThatHasAValue_ThenUnprocessable()
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Patched(Op("add", "Patient", ("name", new FhirString("birthDate")), ("value", new Date("2000-01-01")))));

        Assert.Equal(FailureKind.Unprocessable, e.Kind);
        Assert.Equal(["Parameters.parameter[0]"], e.Outcome.Issue[0].Expression);
    }

    [Theory]
    [InlineData("Patient.identifier")] // three elements
    [InlineData("Patient.telecom")] // none
    public void GivenReplaceNotSelectingExactlyOne_ThenUnprocessable(string path)
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Patched(Op("replace", path, ("value", new Identifier("x", "y")))));

        Assert.Equal(FailureKind.Unprocessable, e.Kind);
    }

    [Fact]
    public void GivenOperationWithoutItsParts_ThenInvalid()
    {
        var e = Assert.Throws<FhirOutcomeException>(() => Patched(Op("insert", "Patient.identifier", ("value", new Identifier("x", "y")))));

        Assert.Equal(FailureKind.Invalid, e.Kind);
        Assert.Contains("index", e.Outcome.Issue[0].Diagnostics);
    }
}
