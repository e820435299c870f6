using System.Net;
using System.Text;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using static FhirCoordGateway.EndToEnd.Tests.TransactionTests;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>PATCH with JSON Patch and FHIRPath Patch. https://hl7.org/fhir/R4/http.html#patch, https://hl7.org/fhir/R4/fhirpatch.html</summary>
[Collection(GatewayCollection.Name)]
public sealed class PatchTests(GatewayFactory gateway)
{
    private static StringContent JsonPatchBody(string json) => new(json, Encoding.UTF8, "application/json-patch+json");

    private static Parameters.ParameterComponent Operation(string type, string path, params (string Name, DataType Value)[] parts)
    {
        var op = new Parameters.ParameterComponent { Name = "operation" };
        op.Part.Add(new Parameters.ParameterComponent { Name = "type", Value = new Code(type) });
        op.Part.Add(new Parameters.ParameterComponent { Name = "path", Value = new FhirString(path) });
        op.Part.AddRange(parts.Select(p => new Parameters.ParameterComponent { Name = p.Name, Value = p.Value }));
        return op;
    }

    private static Parameters FhirPatch(params Parameters.ParameterComponent[] operations) => new() { Parameter = operations.ToList() };

    private async Task<Patient> NewPatient() => (await gateway.Fhir().CreateAsync(TestData.Patient()))!;

    [Fact]
    public async Task GivenJsonPatch_WhenPatchingInstance_ThenNewVersionWithTheChanges()
    {
        var patient = await NewPatient();
        var http = gateway.CreateClient();

        var response = await http.PatchAsync($"/fhir/Patient/{patient.Id}", JsonPatchBody("""
            [ { "op": "test", "path": "/birthDate", "value": "1975-03-14" },
              { "op": "replace", "path": "/birthDate", "value": "1975-03-15" },
              { "op": "add", "path": "/identifier/-", "value": { "system": "urn:test", "value": "added-by-patch" } },
              { "op": "copy", "from": "/name/0", "path": "/name/-" },
              { "op": "remove", "path": "/name/1/given" },
              { "op": "add", "path": "/active", "value": true } ]
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("W/\"2\"", response.Headers.ETag!.ToString());
        var stored = (await gateway.Fhir().ReadAsync<Patient>($"Patient/{patient.Id}"))!;
        Assert.Equal("1975-03-15", stored.BirthDate);
        Assert.Equal("added-by-patch", stored.Identifier[1].Value);
        Assert.Equal(2, stored.Name.Count);
        Assert.Empty(stored.Name[1].Given);
        Assert.True(stored.Active);
        Assert.Equal("2", stored.Meta.VersionId);
    }

    [Fact]
    public async Task GivenFhirPathPatch_WhenPatchingWithFhirClient_ThenEveryOperationApplied()
    {
        var client = gateway.Fhir();
        var patient = await NewPatient();
        var telecom = new Parameters.ParameterComponent { Name = "value" };
        telecom.Part.Add(new Parameters.ParameterComponent { Name = "system", Value = new Code("phone") });
        telecom.Part.Add(new Parameters.ParameterComponent { Name = "value", Value = new FhirString("+33 1 23 45 67 89") });
        var addTelecom = Operation("add", "Patient", ("name", new FhirString("telecom")));
        addTelecom.Part.Add(telecom);

        var patched = (await client.PatchAsync(new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(
            Operation("replace", "Patient.gender", ("value", new Code("male"))),
            Operation("insert", "Patient.identifier", ("value", new Identifier("urn:test", "first")), ("index", new Integer(0))),
            Operation("add", "Patient", ("name", new FhirString("deceased")), ("value", new FhirBoolean(false))),
            Operation("move", "Patient.identifier", ("source", new Integer(0)), ("destination", new Integer(1))),
            Operation("delete", "Patient.name.given"),
            Operation("delete", "Patient.maritalStatus"),
            addTelecom)))!;

        var stored = (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!;
        Assert.Equal(AdministrativeGender.Male, stored.Gender);
        Assert.Equal(["urn:oid:1.2.250.1.71.4.2.7.999", "urn:test"], stored.Identifier.Select(i => i.System));
        Assert.Equal(false, ((FhirBoolean)stored.Deceased).Value);
        Assert.Empty(stored.Name[0].Given);
        Assert.Equal("+33 1 23 45 67 89", stored.Telecom[0].Value);
        Assert.Equal(ContactPoint.ContactPointSystem.Phone, stored.Telecom[0].System);
        Assert.Equal("2", patched.Meta.VersionId);
    }

    [Fact]
    public async Task GivenCriteria_WhenPatchingConditionally_ThenTheSingleMatchIsPatched()
    {
        var client = gateway.Fhir();
        var patient = await NewPatient();

        await client.ConditionalPatchAsync<Patient>(
            new SearchParams().Where($"identifier={TestData.Ipp}|{TestData.IppOf(patient)}"),
            FhirPatch(Operation("replace", "Patient.birthDate", ("value", new Date("1980-01-02")))));

        Assert.Equal("1980-01-02", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.BirthDate);
        var none = await Assert.ThrowsAsync<FhirOperationException>(() => client.ConditionalPatchAsync<Patient>(
            new SearchParams().Where($"identifier={TestData.Ipp}|{TestData.Unique("nobody")}"),
            FhirPatch(Operation("delete", "Patient.birthDate"))));
        Assert.Equal(HttpStatusCode.NotFound, none.Status);
    }

    [Fact]
    public async Task GivenStaleIfMatch_WhenPatching_Then412AndNothingChanged()
    {
        var patient = await NewPatient();
        await gateway.Fhir().UpdateAsync(patient);
        var request = Http.Request(HttpMethod.Patch, $"/fhir/Patient/{patient.Id}",
            JsonPatchBody("""[{ "op": "replace", "path": "/birthDate", "value": "2000-01-01" }]"""), ("If-Match", "W/\"1\""));

        var response = await gateway.CreateClient().SendAsync(request);

        await Http.AssertOutcome(response, HttpStatusCode.PreconditionFailed, OperationOutcome.IssueType.Conflict);
        Assert.Equal("1975-03-14", (await gateway.Fhir().ReadAsync<Patient>($"Patient/{patient.Id}"))!.BirthDate);
    }

    [Fact]
    public async Task GivenMatchingIfMatch_WhenPatching_Then200()
    {
        var patient = await NewPatient();
        var request = Http.Request(HttpMethod.Patch, $"/fhir/Patient/{patient.Id}",
            JsonPatchBody("""[{ "op": "replace", "path": "/birthDate", "value": "2000-01-01" }]"""), ("If-Match", "W/\"1\""));

        var response = await gateway.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("""[{ "op": "replace", "path": "/birthDate", "value": "not-a-date" }]""")]
    [InlineData("""[{ "op": "add", "path": "/favouriteColour", "value": "blue" }]""")]
    [InlineData("""[{ "op": "replace", "path": "/id", "value": "someone-else" }]""")]
    [InlineData("""[{ "op": "remove", "path": "/name/7" }]""")]
    [InlineData("""[{ "op": "test", "path": "/birthDate", "value": "1900-01-01" }]""")]
    public async Task GivenJsonPatchGivingAnInvalidResource_WhenPatching_Then422AndNothingStored(string patch)
    {
        var patient = await NewPatient();

        var response = await gateway.CreateClient().PatchAsync($"/fhir/Patient/{patient.Id}", JsonPatchBody(patch));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await Http.ReadOutcome(response);
        Assert.Equal("1", (await gateway.Fhir().ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenPatchRemovingARequiredElement_WhenPatching_Then422FromValidation()
    {
        var client = gateway.Fhir();
        var observation = (await client.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "29463-7") }))!;

        var response = await gateway.CreateClient().PatchAsync($"/fhir/Observation/{observation.Id}", JsonPatchBody("""[{ "op": "remove", "path": "/status" }]"""));

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.Required);
        Assert.Contains(outcome.Issue, i => i.Expression.Any(e => e.Contains("status")));
        Assert.Equal("1", (await client.ReadAsync<Observation>($"Observation/{observation.Id}"))!.Meta.VersionId);
    }

    [Theory]
    [InlineData("{\"op\":\"replace\"}")]
    [InlineData("[{\"op\":\"frobnicate\",\"path\":\"/a\"}]")]
    [InlineData("[{\"op\":\"replace\",\"path\":\"/birthDate\"}]")]
    [InlineData("[{\"op\":\"move\",\"path\":\"/a\"}]")]
    [InlineData("[{\"op\":\"add\",\"path\":\"birthDate\",\"value\":1}]")]
    [InlineData("[{\"op\":\"add\",")]
    public async Task GivenMalformedJsonPatch_WhenPatching_Then400(string patch)
    {
        var patient = await NewPatient();

        var response = await gateway.CreateClient().PatchAsync($"/fhir/Patient/{patient.Id}", JsonPatchBody(patch));

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid);
    }

    [Fact]
    public async Task GivenMalformedFhirPathPatch_WhenPatching_Then400()
    {
        var client = gateway.Fhir();
        var patient = await NewPatient();

        var noType = await Assert.ThrowsAsync<FhirOperationException>(() => client.PatchAsync(
            new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(new Parameters.ParameterComponent { Name = "operation", Part = [new() { Name = "path", Value = new FhirString("Patient.gender") }] })));
        var badPath = await Assert.ThrowsAsync<FhirOperationException>(() => client.PatchAsync(
            new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(Operation("delete", "Patient.name.where("))));

        Assert.Equal(HttpStatusCode.BadRequest, noType.Status);
        Assert.Equal(["Parameters.parameter[0]"], noType.Outcome!.Issue[0].Expression);
        Assert.Equal(HttpStatusCode.BadRequest, badPath.Status);
    }

    [Fact]
    public async Task GivenFhirPathPatchThatDoesNotFit_WhenPatching_Then422()
    {
        var client = gateway.Fhir();
        var patient = await NewPatient();

        var twoTargets = await Assert.ThrowsAsync<FhirOperationException>(() => client.PatchAsync(
            new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(Operation("replace", "Patient.identifier", ("value", new Identifier("a", "b"))), Operation("replace", "Patient.name | Patient.identifier", ("value", new Identifier("a", "b"))))));
        var wrongType = await Assert.ThrowsAsync<FhirOperationException>(() => client.PatchAsync(
            new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(Operation("replace", "Patient.birthDate", ("value", new Identifier("a", "b"))))));
        var badCode = await Assert.ThrowsAsync<FhirOperationException>(() => client.PatchAsync(
            new Uri($"Patient/{patient.Id}", UriKind.Relative), FhirPatch(Operation("replace", "Patient.gender", ("value", new Code("banana"))))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, twoTargets.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badCode.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongType.Status);
        Assert.Equal("1", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta.VersionId);
    }

    [Fact]
    public async Task GivenMissingOrDeletedResource_WhenPatching_Then404Or410()
    {
        var patient = await NewPatient();
        await gateway.Fhir().DeleteAsync($"Patient/{patient.Id}");
        var http = gateway.CreateClient();
        var body = """[{ "op": "remove", "path": "/birthDate" }]""";

        await Http.AssertOutcome(await http.PatchAsync($"/fhir/Patient/{patient.Id}", JsonPatchBody(body)), HttpStatusCode.Gone, OperationOutcome.IssueType.Deleted);
        await Http.AssertOutcome(await http.PatchAsync($"/fhir/Patient/{TestData.Unique("none")}", JsonPatchBody(body)), HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task GivenPatchEntries_WhenTransaction_ThenPatchedInTheSameUnitOfWork()
    {
        var client = gateway.Fhir();
        var (first, second) = (await NewPatient(), await NewPatient());
        var jsonPatch = new Binary { ContentType = "application/json-patch+json", Data = """[{ "op": "replace", "path": "/birthDate", "value": "1999-09-09" }]"""u8.ToArray() };

        var response = (await client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.PATCH, $"Patient/{first.Id}", jsonPatch),
            Entry(Bundle.HTTPVerb.PATCH, $"Patient?identifier={TestData.Ipp}|{TestData.IppOf(second)}", FhirPatch(Operation("replace", "Patient.birthDate", ("value", new Date("1988-08-08"))))))))!;

        Assert.Equal(["200 OK", "200 OK"], response.Entry.Select(e => e.Response.Status));
        Assert.Equal($"Patient/{second.Id}/_history/2", response.Entry[1].Response.Location);
        Assert.Equal("1999-09-09", (await client.ReadAsync<Patient>($"Patient/{first.Id}"))!.BirthDate);
        Assert.Equal("1988-08-08", (await client.ReadAsync<Patient>($"Patient/{second.Id}"))!.BirthDate);
    }

    [Fact]
    public async Task GivenFailingPatchEntry_WhenTransaction_ThenNothingStored()
    {
        var client = gateway.Fhir();
        var patient = await NewPatient();
        var marker = TestData.Unique("patch-tx");

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.TransactionAsync(Transaction(
            Entry(Bundle.HTTPVerb.POST, "Patient", TestData.Patient(marker), Urn()),
            Entry(Bundle.HTTPVerb.PATCH, $"Patient/{patient.Id}", new Binary { ContentType = "application/json-patch+json", Data = """[{ "op": "remove", "path": "/nothing" }]"""u8.ToArray() }))));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal("Bundle.entry[1]", error.Outcome!.Issue[0].Expression.First());
        Assert.Equal(0, await Db.CountContaining(marker));
    }

    [Fact]
    public async Task GivenCapabilityStatement_ThenBatchTransactionAndPatchAreDeclared()
    {
        var statement = (await gateway.Fhir().CapabilityStatementAsync())!;

        var rest = statement.Rest[0];
        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Transaction);
        Assert.Contains(rest.Interaction, i => i.Code == CapabilityStatement.SystemRestfulInteraction.Batch);
        Assert.Contains(rest.Resource.Single(r => r.Type == "Patient").Interaction, i => i.Code == CapabilityStatement.TypeRestfulInteraction.Patch);
    }
}
