using FhirCoordGateway.Validation.Compilation;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>The compiled element tree: slices and re-slices, content references, built-in invariants.</summary>
public class CompilerTests
{
    private static CompiledProfile CompileFixture(string rule, string @case)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", rule, @case);
        var registry = new ProfileRegistry();
        var sd = TestSupport.Parse<StructureDefinition>(File.ReadAllText(Path.Combine(dir, "profile.json")));
        Assert.True(registry.AddOrReplace(sd).Success);
        return registry.Current.GetProfile(sd.Url!)!;
    }

    [Fact]
    public void GivenResliceProfile_WhenCompiled_ThenResliceHangsUnderItsSlice()
    {
        var profile = CompileFixture("slicing", "reslice");

        var identifier = profile.Root.Children["identifier"];
        var official = Assert.Single(identifier.Slicing!.Slices);
        Assert.Equal("official", official.SliceName);
        Assert.Equal(DiscriminatorKind.Value, identifier.Slicing.Discriminators.Single().Kind);
        var nir = Assert.Single(official.Slicing!.Slices);
        Assert.Equal(("official/nir", 1, 1), (nir.SliceName, nir.Min, nir.Max));
        Assert.Equal("system", official.Slicing.Discriminators.Single().Path);
    }

    [Fact]
    public void GivenQuestionnaire_WhenCompiled_ThenNestedItemLinksToItemDefinition()
    {
        var questionnaire = new ProfileRegistry().Current.GetCoreType("Questionnaire")!;

        var item = questionnaire.Root.Children["item"];
        var nested = item.Children["item"];

        Assert.Same(item, nested.ContentTarget);
        Assert.True(nested.IsList);
        Assert.Contains(item.Invariants, i => i.Key == "que-6");
    }

    [Fact]
    public void GivenCoreTypes_WhenCompiled_ThenHotInvariantsAreBuiltInAndEle1IsNotCompiled()
    {
        var registry = new ProfileRegistry();
        var reference = registry.Current.GetCoreType("Reference")!;
        var patient = registry.Current.GetCoreType("Patient")!;

        Assert.NotNull(Assert.Single(reference.Root.Invariants, i => i.Key == "ref-1").BuiltIn);
        Assert.All(patient.Root.Invariants.Where(i => i.Key.StartsWith("dom-", StringComparison.Ordinal)), i => Assert.NotNull(i.BuiltIn));
        Assert.DoesNotContain(patient.Root.Children["name"].Invariants, i => i.Key == "ele-1");
    }

    [Fact]
    public void GivenChoiceTypeProfile_WhenCompiled_ThenChoiceKeepsOnlyProfiledTypes()
    {
        var profile = CompileFixture("structure", "choice-type");
        var value = profile.Root.Children["value"];
        Assert.True(value.IsChoice);
        Assert.Equal(["Quantity"], value.Types.Select(t => t.Code));
    }
}
