using Hl7.Fhir.Model;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary><c>:in</c> and <c>:not-in</c> expand ValueSets with the same terminology as validation. https://hl7.org/fhir/R4/search.html#modifiers</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValueSetSearchTests(GatewayFactory gateway)
{
    private const string CategoryValueSet = "https://fhircoord.example/fhir/ValueSet/fhircoord-careplan-category";
    private const string CategorySystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-careplan-category";

    [Fact]
    public async Task GivenCarePlansInAndOutOfALocalValueSet_WhenSearchingInAndNotIn_ThenEachFindsItsOwn()
    {
        var client = gateway.Fhir();
        var subject = $"Patient/{TestData.Unique("vs-subject")}";
        var pps = (await client.CreateAsync(Plan(subject, CategorySystem, "pps")))!;
        var other = (await client.CreateAsync(Plan(subject, "http://other.example/cs", "misc")))!;

        var inSet = (await client.SearchAsync<CarePlan>([$"subject={subject}", $"category:in={CategoryValueSet}"]))!;
        var notInSet = (await client.SearchAsync<CarePlan>([$"subject={subject}", $"category:not-in={CategoryValueSet}"]))!;

        Assert.Equal([pps.Id], inSet.Entry.Select(e => e.Resource.Id));
        Assert.Equal([other.Id], notInSet.Entry.Select(e => e.Resource.Id));
    }

    private static CarePlan Plan(string subject, string system, string code) => new()
    {
        Status = RequestStatus.Draft,
        Intent = CarePlan.CarePlanIntent.Plan,
        Subject = new ResourceReference(subject),
        Category = [new CodeableConcept(system, code)],
    };
}
