using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>create, read, vread, update, delete, in both formats. https://hl7.org/fhir/R4/http.html</summary>
[Collection(GatewayCollection.Name)]
public sealed class CrudTests(GatewayFactory gateway)
{
    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenPatient_WhenCreating_ThenServerAssignsIdAndVersionOneWithHeaders(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var sent = TestData.Patient();
        sent.Id = "client-chosen-id";

        var created = await client.CreateAsync(sent);

        Assert.NotNull(created);
        Assert.NotEqual("client-chosen-id", created!.Id);
        Assert.Equal("1", created.Meta.VersionId);
        Assert.NotNull(created.Meta.LastUpdated);
        Assert.Equal("201", client.LastResult!.Status);
        Assert.EndsWith($"/fhir/Patient/{created.Id}/_history/1", client.LastResult.Location);
        Assert.Equal("W/\"1\"", client.LastResult.Etag);
        Assert.NotNull(client.LastResult.LastModified);
        Assert.Equal(TestData.IppOf(sent), TestData.IppOf(created));
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenCreatedPatient_WhenReading_ThenSameContentAndVersionHeaders(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;

        var read = (await client.ReadAsync<Patient>($"Patient/{created.Id}"))!;

        Assert.Equal(created.Id, read.Id);
        Assert.Equal("Martin-e2e", read.Name[0].Family);
        Assert.Equal("1975-03-14", read.BirthDate);
        Assert.Equal("W/\"1\"", client.LastResult!.Etag);
        Assert.Equal(created.Meta.LastUpdated, read.Meta.LastUpdated);
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenUpdatedPatient_WhenVReading_ThenEachVersionIsKept(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;
        created.Name[0].Family = "Martin-Dupuis";
        var updated = (await client.UpdateAsync(created))!;

        var v1 = (await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1"))!;
        var v2 = (await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/2"))!;

        Assert.Equal("2", updated.Meta.VersionId);
        Assert.Equal("200", client.LastResult!.Status);
        Assert.Equal("Martin-e2e", v1.Name[0].Family);
        Assert.Equal("Martin-Dupuis", v2.Name[0].Family);
        var missing = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}/_history/3"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(OperationOutcome.IssueType.NotFound, missing.Outcome!.Issue[0].Code);
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenClientId_WhenUpdatingUnknownResource_ThenCreatedWithThatId(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var patient = TestData.Patient();
        patient.Id = TestData.Unique("pat");

        var created = (await client.UpdateAsync(patient))!;

        Assert.Equal(patient.Id, created.Id);
        Assert.Equal("1", created.Meta.VersionId);
        Assert.Equal("201", client.LastResult!.Status);
        Assert.EndsWith($"/fhir/Patient/{patient.Id}/_history/1", client.LastResult.Location);
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenStaleVersion_WhenUpdatingWithIfMatch_Then412AndNothingChanges(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;
        var second = (await client.UpdateAsync(created, versionAware: true))!;
        Assert.Equal("2", second.Meta.VersionId);

        created.Name[0].Family = "Stale";
        var stale = await Assert.ThrowsAsync<FhirOperationException>(() => client.UpdateAsync(created, versionAware: true));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Contains("current version is 2", stale.Outcome!.Issue[0].Diagnostics);
        var current = (await client.ReadAsync<Patient>($"Patient/{created.Id}"))!;
        Assert.Equal("2", current.Meta.VersionId);
        Assert.Equal("Martin-e2e", current.Name[0].Family);
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenDeletedPatient_WhenReading_Then410ButHistoryKeepsVersions(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;

        await client.DeleteAsync($"Patient/{created.Id}");
        Assert.Equal("204", client.LastResult!.Status);
        Assert.Equal("W/\"2\"", client.LastResult.Etag);

        var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}"));
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        Assert.Equal(OperationOutcome.IssueType.Deleted, gone.Outcome!.Issue[0].Code);
        var goneVersion = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}/_history/2"));
        Assert.Equal(HttpStatusCode.Gone, goneVersion.Status);
        var v1 = (await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1"))!;
        Assert.Equal(created.Id, v1.Id);

        // Deleting again changes nothing; a new update brings it back as version 3.
        await client.DeleteAsync($"Patient/{created.Id}");
        var revived = (await client.UpdateAsync(v1))!;
        Assert.Equal("3", revived.Meta.VersionId);
        Assert.Equal("201", client.LastResult!.Status);
    }

    [Fact]
    public async Task GivenUnknownId_WhenDeleting_Then404()
    {
        var client = gateway.Fhir();
        var missing = await Assert.ThrowsAsync<FhirOperationException>(() => client.DeleteAsync($"Patient/{TestData.Unique("none")}"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenAnyResourceType_WhenCreatingAndReading_ThenStoredGenerically(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var plan = new CarePlan
        {
            Status = RequestStatus.Draft,
            Intent = CarePlan.CarePlanIntent.Plan,
            Subject = new ResourceReference("Patient/pps-e2e"),
            Title = "PPS e2e",
        };
        var team = new CareTeam { Name = "Cercle de soins e2e", Status = CareTeam.CareTeamStatus.Active };

        var storedPlan = (await client.CreateAsync(plan))!;
        var storedTeam = (await client.CreateAsync(team))!;

        Assert.Equal("PPS e2e", (await client.ReadAsync<CarePlan>($"CarePlan/{storedPlan.Id}"))!.Title);
        Assert.Equal("Cercle de soins e2e", (await client.ReadAsync<CareTeam>($"CareTeam/{storedTeam.Id}"))!.Name);
    }

    [Fact]
    public async Task GivenBodyIdDifferentFromUrl_WhenUpdating_Then400()
    {
        var client = gateway.Fhir();
        var created = (await client.CreateAsync(TestData.Patient()))!;
        using var http = gateway.CreateClient();
        var body = Hl7.Fhir.Serialization.FhirJsonSerializer.Default.SerializeToString(created);

        var response = await http.PutAsync($"/fhir/Patient/{TestData.Unique("other")}", Http.Json(body));

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "Patient.id");
    }
}
