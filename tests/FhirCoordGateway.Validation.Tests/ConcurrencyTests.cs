using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Validation.Tests;

/// <summary>16 threads share one validator while profile updates land: no spurious or missing issue.</summary>
public class ConcurrencyTests
{
    private const string Url = "https://fhircoord.example/fhir/test/StructureDefinition/concurrency-patient";

    private static StructureDefinition Profile(string path) => new()
    {
        Url = Url, Name = "ConcurrencyPatient", Status = PublicationStatus.Active, Kind = StructureDefinition.StructureDefinitionKind.Resource,
        Abstract = false, Type = "Patient", BaseDefinition = "http://hl7.org/fhir/StructureDefinition/Patient",
        Derivation = StructureDefinition.TypeDerivationRule.Constraint,
        Differential = new StructureDefinition.DifferentialComponent { Element = [new ElementDefinition(path) { ElementId = path, Min = 1 }] },
    };

    [Fact]
    public async Task GivenSixteenThreads_WhenAProfileUpdateLands_ThenEveryResultMatchesOneGeneration()
    {
        var registry = new ProfileRegistry();
        registry.AddOrReplace(Profile("Patient.birthDate"));
        var validator = new FhirProfileValidator(registry);
        // Valid under the first version, invalid (missing gender) under the second.
        var json = """
            {"resourceType":"Patient","id":"conc-91d4e2","meta":{"profile":["https://fhircoord.example/fhir/test/StructureDefinition/concurrency-patient"]},
             "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
             "identifier":[{"system":"urn:oid:1.2.3","value":"conc-91d4e2"}],"birthDate":"1950-01-01",
             "contact":[{"name":{"family":"Martin"}}]}
            """;
        var unexpected = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new ManualResetEventSlim();
        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            start.Wait();
            for (int i = 0; i < 150; i++)
            {
                var issues = TestSupport.Render(validator.Validate(TestSupport.Parse(json)));
                if (!(issues.Count == 0 || issues.SequenceEqual(["error structure Patient.gender"])))
                    unexpected.Add(string.Join(" | ", issues));
            }
        })).ToList();
        start.Set();
        await Task.Delay(50);
        var write = registry.AddOrReplace(Profile("Patient.gender"));
        await Task.WhenAll(workers);

        Assert.True(write.Success);
        Assert.Empty(unexpected);
        Assert.Equal(["error structure Patient.gender"], TestSupport.Render(validator.Validate(TestSupport.Parse(json))));
    }
}
