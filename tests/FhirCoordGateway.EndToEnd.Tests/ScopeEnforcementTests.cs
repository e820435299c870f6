using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Each interaction kind, through HTTP, with a token that grants it and one that does not: 403 OperationOutcome
/// (code forbidden) on refusal, and a refused write stores nothing.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ScopeEnforcementTests(GatewayFactory gateway)
{
    private async Task<Patient> NewPatient() => (await gateway.Fhir().CreateAsync(TestData.Patient()))!;

    private static StringContent Body(Resource resource) => Http.Json(FhirJsonSerializer.Default.SerializeToString(resource));

    private async Task AssertScopes(string allowed, string denied, Func<HttpClient, Task<HttpResponseMessage>> send, HttpStatusCode success = HttpStatusCode.OK)
    {
        using var deniedClient = gateway.ClientWith(TestTokens.Token(denied));
        var refusal = await send(deniedClient);
        await Http.AssertOutcome(refusal, HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);

        using var allowedClient = gateway.ClientWith(TestTokens.Token(allowed));
        var answer = await send(allowedClient);
        Assert.Equal(success, answer.StatusCode);
    }

    [Fact]
    public async Task Read_NeedsR() =>
        await AssertScopes("system/Patient.r", "system/Patient.s system/Observation.r", async http => await http.GetAsync($"/fhir/Patient/{(await NewPatient()).Id}"));

    [Fact]
    public async Task VRead_NeedsR() =>
        await AssertScopes("user/Patient.r", "user/Patient.cuds", async http => await http.GetAsync($"/fhir/Patient/{(await NewPatient()).Id}/_history/1"));

    [Fact]
    public async Task V1ReadAlias_ReadsAndSearches()
    {
        var patient = await NewPatient();
        await AssertScopes("user/Patient.read", "user/Patient.write", http => http.GetAsync($"/fhir/Patient/{patient.Id}"));
        await AssertScopes("user/Patient.read", "user/Patient.write", http => http.GetAsync($"/fhir/Patient?_id={patient.Id}"));
    }

    [Fact]
    public async Task Search_NeedsS() =>
        await AssertScopes("system/Patient.s", "system/Patient.r", http => http.GetAsync("/fhir/Patient?_count=1"));

    [Fact]
    public async Task SystemSearch_NeedsSOnEachType() =>
        await AssertScopes("system/Patient.s system/Observation.s", "system/Patient.s", http => http.GetAsync("/fhir?_type=Patient,Observation&_count=1"));

    [Fact]
    public async Task Include_NeedsSOnTheIncludedType() =>
        await AssertScopes("system/Observation.s system/Patient.s", "system/Observation.s",
            http => http.GetAsync("/fhir/Observation?_count=1&_include=Observation:subject:Patient"));

    [Fact]
    public async Task RevInclude_NeedsSOnTheSourceType() =>
        await AssertScopes("system/Observation.s system/Patient.s", "system/Patient.s",
            http => http.GetAsync("/fhir/Patient?_count=1&_revinclude=Observation:subject"));

    [Fact]
    public async Task HasAndChain_NeedSOnTheOtherType()
    {
        await AssertScopes("system/Observation.s system/Patient.s", "system/Patient.s", http => http.GetAsync("/fhir/Patient?_has:Observation:subject:code=x-7f3a21"));
        await AssertScopes("system/Observation.s system/Patient.s", "system/Observation.s", http => http.GetAsync("/fhir/Observation?subject:Patient.family=x-7f3a21"));
        await AssertScopes("system/Observation.s system/Patient.s", "system/Observation.s", http => http.GetAsync("/fhir/Observation?subject.family=x-7f3a21"));
    }

    [Fact]
    public async Task Create_NeedsC()
    {
        var ipp = TestData.Unique("scope-create");
        await AssertScopes("system/Patient.c", "system/Patient.rus", http => http.PostAsync("/fhir/Patient", Body(TestData.Patient(ipp))), HttpStatusCode.Created);
        var found = await gateway.Fhir().SearchAsync<Patient>([$"identifier={TestData.Ipp}|{ipp}"]);
        Assert.Single(found!.Entry);
    }

    [Fact]
    public async Task V1WriteAlias_Creates() =>
        await AssertScopes("user/Patient.write", "user/Patient.read", http => http.PostAsync("/fhir/Patient", Body(TestData.Patient())), HttpStatusCode.Created);

    [Fact]
    public async Task Update_NeedsU()
    {
        var patient = await NewPatient();
        await AssertScopes("system/Patient.u", "system/Patient.crds", http => http.PutAsync($"/fhir/Patient/{patient.Id}", Body(patient)));
        Assert.Equal("2", (await gateway.Fhir().ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task Patch_NeedsU()
    {
        var patient = await NewPatient();
        await AssertScopes("system/Patient.u", "system/Patient.crds", http => http.PatchAsync($"/fhir/Patient/{patient.Id}",
            new StringContent("""[{ "op": "replace", "path": "/gender", "value": "male" }]""", System.Text.Encoding.UTF8, "application/json-patch+json")));
    }

    [Fact]
    public async Task Delete_NeedsD()
    {
        var patient = await NewPatient();
        await AssertScopes("system/Patient.d", "system/Patient.crus", http => http.DeleteAsync($"/fhir/Patient/{patient.Id}"), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Histories_NeedR()
    {
        var patient = await NewPatient();
        await AssertScopes("system/Patient.r", "system/Patient.s", http => http.GetAsync($"/fhir/Patient/{patient.Id}/_history"));
        await AssertScopes("system/Patient.r", "system/Observation.r", http => http.GetAsync("/fhir/Patient/_history?_count=1"));
        await AssertScopes("system/*.r", "system/Patient.r", http => http.GetAsync("/fhir/_history?_count=1"));
    }

    [Fact]
    public async Task Operations_NeedTheirScope()
    {
        var patient = await NewPatient();
        await AssertScopes("system/Patient.r", "system/Observation.r", http => http.PostAsync("/fhir/Patient/$validate", Body(TestData.Patient())));
        await AssertScopes("system/Patient.rs", "system/Observation.rs", http => http.GetAsync($"/fhir/Patient/{patient.Id}/$everything"));
        await AssertScopes("system/Patient.rs system/Observation.rs", "system/Patient.rs", http => http.GetAsync($"/fhir/Patient/{patient.Id}/$everything?_type=Patient,Observation"));
        await AssertScopes("system/ValueSet.r", "system/CodeSystem.r", http => http.GetAsync("/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender"));
        await AssertScopes("system/admin", "system/*.cruds", http => http.PostAsync("/fhir/$reindex?resourceType=Basic", null), HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task TransactionEntries_AreEachAuthorized_AndARefusedEntryStoresNothing()
    {
        var ipp = TestData.Unique("scope-tx");
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:" + Guid.NewGuid(), Resource = TestData.Patient(ipp), Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } });
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = "urn:uuid:" + Guid.NewGuid(),
            Resource = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "29463-7") },
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" },
        });

        await AssertScopes("system/Patient.c system/Observation.c", "system/Patient.c", http => http.PostAsync("/fhir", Body(bundle)));
        var found = await gateway.Fhir().SearchAsync<Patient>([$"identifier={TestData.Ipp}|{ipp}"]);
        Assert.Single(found!.Entry);
    }

    [Fact]
    public async Task BatchEntries_AreEachAuthorized()
    {
        var patient = await NewPatient();
        var bundle = new Bundle { Type = Bundle.BundleType.Batch };
        bundle.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{patient.Id}" } });
        bundle.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{patient.Id}" } });
        var client = gateway.FhirWith(TestTokens.Token("system/Patient.rs"));

        var response = (await client.TransactionAsync(bundle))!;

        Assert.StartsWith("200", response.Entry[0].Response.Status);
        Assert.StartsWith("403", response.Entry[1].Response.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, ((OperationOutcome)response.Entry[1].Response.Outcome).Issue[0].Code);
        Assert.NotNull(await gateway.Fhir().ReadAsync<Patient>($"Patient/{patient.Id}"));
    }

    [Fact]
    public async Task GivenTokenWithoutClinicalScope_ThenEverythingButMetadataIs403()
    {
        using var http = gateway.ClientWith(TestTokens.Token("openid fhirUser"));

        await Http.AssertOutcome(await http.GetAsync("/fhir/Patient"), HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/fhir/metadata")).StatusCode);
    }
}
