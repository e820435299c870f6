using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using Hl7.Fhir.Model;
using static Hl7.Fhir.Model.CapabilityStatement;

namespace FhirCoordGateway.Core.Tests.Capabilities;

/// <summary>https://hl7.org/fhir/R4/capabilitystatement.html</summary>
public class CapabilityStatementBuilderTests
{
    private static readonly CapabilityStatement Statement =
        new CapabilityStatementBuilder(new SearchParameterCatalog(), []).Build("http://gw.example.org/fhir", "1.2.3-test");

    private static ResourceComponent Resource(string type) => Assert.Single(Statement.Rest.Single().Resource, r => r.Type == type);

    [Fact]
    public void GivenBuilder_WhenBuilding_ThenAnActiveR4ServerInstanceInBothFormats()
    {
        Assert.Equal(PublicationStatus.Active, Statement.Status);
        Assert.Equal(CapabilityStatementKind.Instance, Statement.Kind);
        Assert.Equal(FHIRVersion.N4_0_1, Statement.FhirVersion);
        Assert.Equal(["application/fhir+json", "application/fhir+xml"], Statement.Format);
        Assert.Equal("FhirCoordGateway", Statement.Software!.Name);
        Assert.Equal("1.2.3-test", Statement.Software!.Version);
        Assert.Equal("http://gw.example.org/fhir", Statement.Implementation!.Url);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", Statement.Date);
    }

    [Fact]
    public void GivenBuilder_WhenBuilding_ThenOneServerRestWithSystemHistoryOnly()
    {
        var rest = Assert.Single(Statement.Rest);
        Assert.Equal(RestfulCapabilityMode.Server, rest.Mode);
        Assert.Equal([SystemRestfulInteraction.HistorySystem], rest.Interaction.Select(i => i.Code!.Value));
    }

    [Fact]
    public void GivenBuilder_WhenBuilding_ThenEveryConcreteTypeAppearsOnce()
    {
        var types = Statement.Rest.Single().Resource.Select(r => r.Type).ToList();

        Assert.Equal(ResourceTypes.All.Order(StringComparer.Ordinal), types.Order(StringComparer.Ordinal));
        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.Contains("Patient", types);
        Assert.Contains("Observation", types);
        Assert.DoesNotContain("DomainResource", types);
        Assert.DoesNotContain("Resource", types);
    }

    [Fact]
    public void GivenPatient_WhenBuilding_ThenCrudHistoryAndSearchInteractions()
    {
        var codes = Resource("Patient").Interaction.Select(i => i.Code!.Value).ToHashSet();

        Assert.Equal(
            new HashSet<TypeRestfulInteraction>
            {
                TypeRestfulInteraction.Read,
                TypeRestfulInteraction.Vread,
                TypeRestfulInteraction.Update,
                TypeRestfulInteraction.Delete,
                TypeRestfulInteraction.HistoryInstance,
                TypeRestfulInteraction.HistoryType,
                TypeRestfulInteraction.Create,
                TypeRestfulInteraction.SearchType,
            },
            codes);
        Assert.DoesNotContain(TypeRestfulInteraction.Patch, codes);
    }

    [Theory]
    [InlineData("Patient")]
    [InlineData("Binary")]
    [InlineData("Observation")]
    public void GivenType_WhenBuilding_ThenVersioningAndConditionalFlagsMatchTheHandlers(string type)
    {
        var resource = Resource(type);

        Assert.Equal(ResourceVersionPolicy.VersionedUpdate, resource.Versioning);
        Assert.True(resource.ReadHistory);
        Assert.True(resource.UpdateCreate);
        Assert.True(resource.ConditionalCreate);
        Assert.True(resource.ConditionalUpdate);
        Assert.Equal(ConditionalDeleteStatus.Single, resource.ConditionalDelete);
        Assert.Equal(ConditionalReadStatus.NotSupported, resource.ConditionalRead);
    }

    [Fact]
    public void GivenPatient_WhenBuilding_ThenIdFirstAndTheR4IdentifierTokenParameter()
    {
        var parameters = Resource("Patient").SearchParam;

        Assert.Equal(("_id", SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Resource-id"), (parameters[0].Name, parameters[0].Type, parameters[0].Definition));
        var identifier = Assert.Single(parameters, p => p.Name == "identifier");
        Assert.Equal((SearchParamType.Token, "http://hl7.org/fhir/SearchParameter/Patient-identifier"), (identifier.Type, identifier.Definition));
        Assert.Equal(parameters.Count, parameters.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void GivenObservation_WhenBuilding_ThenIdentifierIsTheSharedClinicalParameter()
    {
        var identifier = Assert.Single(Resource("Observation").SearchParam, p => p.Name == "identifier");

        Assert.Equal(SearchParamType.Token, identifier.Type);
        Assert.Equal("http://hl7.org/fhir/SearchParameter/clinical-identifier", identifier.Definition);
    }

    [Theory]
    [InlineData("Binary")]
    [InlineData("Parameters")]
    [InlineData("OperationOutcome")]
    public void GivenTypeWithoutIdentifierElement_WhenBuilding_ThenIdButNoIdentifierParameter(string type)
    {
        var names = Resource(type).SearchParam.Select(p => p.Name).ToList();

        Assert.Contains("_id", names);
        Assert.DoesNotContain("identifier", names);
    }

    [Fact]
    public void GivenContributor_WhenBuilding_ThenItAddsToTheRestComponent()
    {
        var statement = new CapabilityStatementBuilder(new SearchParameterCatalog(), [new OperationContributor("validate-7f3a")]).Build("http://gw", "1");

        var operation = Assert.Single(statement.Rest.Single().Operation);
        Assert.Equal(("validate-7f3a", "http://example.org/OperationDefinition/validate-7f3a"), (operation.Name, operation.Definition));
    }

    private sealed class OperationContributor(string name) : ICapabilityContributor
    {
        public void Contribute(RestComponent rest) =>
            rest.Operation.Add(new OperationComponent { Name = name, Definition = "http://example.org/OperationDefinition/" + name });
    }
}
