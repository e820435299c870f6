using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>History at instance, type and system level. https://hl7.org/fhir/R4/http.html#history</summary>
[Collection(GatewayCollection.Name)]
public sealed class HistoryTests(GatewayFactory gateway)
{
    [Theory]
    [InlineData(ResourceFormat.Json)]
    [InlineData(ResourceFormat.Xml)]
    public async Task GivenCreateUpdateDelete_WhenReadingInstanceHistory_ThenNewestFirstWithRequestAndResponse(ResourceFormat format)
    {
        var client = gateway.Fhir(format);
        var created = (await client.CreateAsync(TestData.Patient()))!;
        created.Name[0].Family = "Second";
        await client.UpdateAsync(created);
        await client.DeleteAsync($"Patient/{created.Id}");

        var history = (await client.HistoryAsync($"Patient/{created.Id}"))!;

        Assert.Equal(Bundle.BundleType.History, history.Type);
        Assert.Equal(3, history.Entry.Count);
        Assert.Equal([Bundle.HTTPVerb.DELETE, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.POST], history.Entry.Select(e => e.Request.Method!.Value));
        Assert.Null(history.Entry[0].Resource);
        Assert.Equal("W/\"3\"", history.Entry[0].Response.Etag);
        Assert.Equal("Second", ((Patient)history.Entry[1].Resource).Name[0].Family);
        Assert.Equal("201 Created", history.Entry[2].Response.Status);
        Assert.All(history.Entry, e => Assert.EndsWith($"/fhir/Patient/{created.Id}", e.FullUrl));
    }

    [Fact]
    public async Task GivenManyVersions_WhenPagingInstanceHistory_ThenNextLinksVisitEveryVersionOnce()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        for (var i = 0; i < 6; i++)
        {
            patient = (await client.UpdateAsync(patient))!;
        }

        var versions = new List<string>();
        var page = await client.HistoryAsync($"Patient/{patient.Id}", pageSize: 3);
        var pages = 0;
        while (page is not null)
        {
            pages++;
            Assert.True(page.Entry.Count <= 3);
            versions.AddRange(page.Entry.Select(e => e.Resource.Meta.VersionId));
            page = await client.ContinueAsync(page);
        }

        Assert.Equal(3, pages);
        Assert.Equal(["7", "6", "5", "4", "3", "2", "1"], versions);
    }

    [Fact]
    public async Task GivenSince_WhenReadingTypeHistory_ThenOnlyLaterChanges()
    {
        var client = gateway.Fhir();
        var before = (await client.CreateAsync(new Basic { Code = new CodeableConcept("urn:e2e", TestData.Unique("b")) }))!;
        var since = before.Meta.LastUpdated!.Value.AddMilliseconds(1);
        await Task.Delay(5);
        var after = (await client.CreateAsync(new Basic { Code = new CodeableConcept("urn:e2e", TestData.Unique("a")) }))!;

        var history = (await client.TypeHistoryAsync("Basic", since))!;

        var ids = history.Entry.Select(e => e.Resource?.Id).ToList();
        Assert.Contains(after.Id, ids);
        Assert.DoesNotContain(before.Id, ids);
        Assert.All(history.Entry, e => Assert.Equal("Basic", e.Resource.TypeName));
    }

    [Fact]
    public async Task GivenWritesOfSeveralTypes_WhenReadingSystemHistory_ThenTheyAppearNewestFirst()
    {
        var client = gateway.Fhir();
        var patient = (await client.CreateAsync(TestData.Patient()))!;
        var team = (await client.CreateAsync(new CareTeam { Name = "history e2e" }))!;

        var history = (await client.WholeSystemHistoryAsync(patient.Meta.LastUpdated, pageSize: 1000))!;

        var order = history.Entry.Select(e => $"{e.Resource?.TypeName}/{e.Resource?.Id}").ToList();
        Assert.Contains($"Patient/{patient.Id}", order);
        Assert.Contains($"CareTeam/{team.Id}", order);
        Assert.True(order.IndexOf($"CareTeam/{team.Id}") < order.IndexOf($"Patient/{patient.Id}"));
    }

    [Fact]
    public async Task GivenUnknownResource_WhenReadingInstanceHistory_Then404()
    {
        var client = gateway.Fhir();
        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.HistoryAsync($"Patient/{TestData.Unique("none")}"));
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
    }

    [Theory]
    [InlineData("_since=yesterday", "_since")]
    [InlineData("_since=2026-01-01", "_since")]
    [InlineData("_count=many", "_count")]
    [InlineData("_page=forged", "_page")]
    public async Task GivenMalformedParameter_WhenReadingHistory_Then400NamingIt(string query, string parameter)
    {
        using var http = gateway.CreateClient();
        var response = await http.GetAsync($"/fhir/Patient/_history?{query}");
        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, parameter);
    }
}
