using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Npgsql;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Conditional create, update and delete, including their races. https://hl7.org/fhir/R4/http.html#ccreate</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConditionalTests(GatewayFactory gateway)
{
    private static SearchParams ByIpp(string ipp) => new SearchParams().Where($"identifier={TestData.Ipp}|{ipp}");

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenExistingMatch_WhenConditionallyCreating_ThenExistingReturnedWith200(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var patient = TestData.Patient();
        var ipp = TestData.IppOf(patient);

        var first = (await client.ConditionalCreateAsync(patient, ByIpp(ipp)))!;
        Assert.Equal("201", client.LastResult!.Status);
        var second = (await client.ConditionalCreateAsync(TestData.Patient(ipp, "Other"), ByIpp(ipp)))!;

        Assert.Equal("200", client.LastResult!.Status);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal("Martin-e2e", second.Name[0].Family);
        Assert.Equal("1", second.Meta.VersionId);
    }

    [Fact]
    public async Task GivenTwoMatches_WhenConditionallyCreating_Then412()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("dup");
        await client.CreateAsync(TestData.Patient(ipp));
        await client.CreateAsync(TestData.Patient(ipp));

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.ConditionalCreateAsync(TestData.Patient(ipp), ByIpp(ipp)));

        Assert.Equal(HttpStatusCode.PreconditionFailed, error.Status);
        Assert.Contains("more than one", error.Outcome!.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task GivenUnsupportedParameter_WhenConditionallyCreating_Then400NamingIt()
    {
        var client = gateway.Fhir();
        var error = await Assert.ThrowsAsync<FhirOperationException>(
            () => client.ConditionalCreateAsync(TestData.Patient(), new SearchParams().Where("nickname=Cam")));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Contains("nickname", error.Outcome!.Issue[0].Expression);
    }

    [Fact]
    public async Task Given50ParallelIdenticalConditionalCreates_ThenExactlyOneResourceExists()
    {
        var ipp = TestData.Unique("race");
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            var client = gateway.Fhir();
            var created = await client.ConditionalCreateAsync(TestData.Patient(ipp), ByIpp(ipp));
            return (created!.Id, client.LastResult!.Status);
        }));

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(results, r => r.Status == "201");
        Assert.Equal(49, results.Count(r => r.Status == "200"));
        Assert.Equal(1, await CountStoredWithIpp(ipp));
    }

    [Fact]
    public async Task Given50ParallelConditionalUpdates_ThenOneResourceWith50Versions()
    {
        var ipp = TestData.Unique("race-upd");
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var client = gateway.Fhir();
            var updated = await client.ConditionalUpdateAsync(TestData.Patient(ipp, $"Writer{i}"), ByIpp(ipp));
            return (updated!.Id, updated.Meta.VersionId, client.LastResult!.Status);
        }));

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(results, r => r.Status == "201");
        Assert.Equal(Enumerable.Range(1, 50).Select(v => v.ToString()).Order(), results.Select(r => r.VersionId).Order());
        Assert.Equal(1, await CountStoredWithIpp(ipp));
    }

    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenOneMatch_WhenConditionallyUpdating_ThenThatResourceGetsNewVersion(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;
        var ipp = TestData.IppOf(created);

        var updated = (await client.ConditionalUpdateAsync(TestData.Patient(ipp, "Renamed"), ByIpp(ipp)))!;

        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("2", updated.Meta.VersionId);
        Assert.Equal("200", client.LastResult!.Status);
        Assert.Equal("Renamed", (await client.ReadAsync<Patient>($"Patient/{created.Id}"))!.Name[0].Family);
    }

    [Fact]
    public async Task GivenNoMatchAndBodyId_WhenConditionallyUpdating_ThenCreatedWithThatId()
    {
        var client = gateway.Fhir();
        var patient = TestData.Patient();
        patient.Id = TestData.Unique("cond-id");

        var created = (await client.ConditionalUpdateAsync(patient, ByIpp(TestData.IppOf(patient))))!;

        Assert.Equal(patient.Id, created.Id);
        Assert.Equal("201", client.LastResult!.Status);
    }

    [Fact]
    public async Task GivenMatchWithOtherId_WhenConditionallyUpdating_Then400()
    {
        var client = gateway.Fhir();
        var created = (await client.CreateAsync(TestData.Patient()))!;
        var other = TestData.Patient(TestData.IppOf(created));
        other.Id = TestData.Unique("other");

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.ConditionalUpdateAsync(other, ByIpp(TestData.IppOf(created))));

        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Contains("Patient.id", error.Outcome!.Issue[0].Expression);
    }

    [Fact]
    public async Task GivenTwoMatches_WhenConditionallyUpdatingOrDeleting_Then412()
    {
        var client = gateway.Fhir();
        var ipp = TestData.Unique("dup-upd");
        await client.CreateAsync(TestData.Patient(ipp));
        await client.CreateAsync(TestData.Patient(ipp));

        var update = await Assert.ThrowsAsync<FhirOperationException>(() => client.ConditionalUpdateAsync(TestData.Patient(ipp), ByIpp(ipp)));
        var delete = await Assert.ThrowsAsync<FhirOperationException>(() => client.ConditionalDeleteSingleAsync(ByIpp(ipp), "Patient"));

        Assert.Equal(HttpStatusCode.PreconditionFailed, update.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, delete.Status);
        Assert.Equal(2, await CountStoredWithIpp(ipp));
    }

    [Fact]
    public async Task GivenOneMatch_WhenConditionallyDeleting_ThenItIsGone()
    {
        var client = gateway.Fhir();
        var created = (await client.CreateAsync(TestData.Patient()))!;

        await client.ConditionalDeleteSingleAsync(ByIpp(TestData.IppOf(created)), "Patient");

        Assert.Equal("204", client.LastResult!.Status);
        var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}"));
        Assert.Equal(HttpStatusCode.Gone, gone.Status);
        var none = await client.SearchAsync<Patient>([$"identifier={TestData.Ipp}|{TestData.IppOf(created)}"]);
        Assert.Empty(none!.Entry);
    }

    [Fact]
    public async Task GivenIdCriterion_WhenConditionallyCreating_ThenMatchesById()
    {
        var client = gateway.Fhir();
        var created = (await client.CreateAsync(TestData.Patient()))!;

        var again = (await client.ConditionalCreateAsync(TestData.Patient(), new SearchParams().Where($"_id={created.Id}")))!;

        Assert.Equal(created.Id, again.Id);
        Assert.Equal("200", client.LastResult!.Status);
    }

    /// <summary>Counts current, non-deleted Patients carrying the IPP, straight from the database.</summary>
    private static async Task<long> CountStoredWithIpp(string ipp)
    {
        await using var dataSource = NpgsqlDataSource.Create(GatewayFactory.ConnectionString);
        await using var cmd = dataSource.CreateCommand("""
            SELECT count(*) FROM resource r WHERE r.res_type = 'Patient' AND NOT r.deleted
            AND strpos(r.body, '"' || $1 || '"') > 0
            """);
        cmd.Parameters.AddWithValue(ipp);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
