using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests.Export;

/// <summary>
/// Bulk export requests on the shared gateway, which runs no background work: the export stays queued, so what
/// is checked here is the kick-off (Prefer, parameters, authorization), the queued status, ownership and DELETE.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ExportKickOffTests(GatewayFactory gateway)
{
    [Fact]
    public async Task GivenNoPreferRespondAsync_WhenKickingOff_Then400AtPrefer()
    {
        var response = await gateway.CreateClient().GetAsync("/fhir/$export?_type=Patient");

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "Prefer");
    }

    [Fact]
    public async Task GivenNoToken_WhenKickingOffOrPolling_Then401()
    {
        using var anonymous = gateway.ClientWith(null);

        var kickOff = await BulkExport.SendKickOffAsync(anonymous, "/fhir/$export");
        var status = await anonymous.GetAsync($"/fhir/$export-status/{Guid.NewGuid()}");

        await Http.AssertOutcome(kickOff, HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login);
        Assert.Equal(HttpStatusCode.Unauthorized, status.StatusCode);
        Assert.StartsWith("Bearer", kickOff.Headers.WwwAuthenticate.Single().ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("_type=Patient,Nope", "_type", OperationOutcome.IssueType.Invalid)]
    [InlineData("_since=last-week", "_since", OperationOutcome.IssueType.Invalid)]
    [InlineData("_outputFormat=text/csv", "_outputFormat", OperationOutcome.IssueType.Invalid)]
    [InlineData("_typeFilter=Observation%3Fcode%3Dx", "_typeFilter", OperationOutcome.IssueType.NotSupported)]
    public async Task GivenBadParameter_WhenKickingOff_Then400AtTheParameter(string query, string expression, OperationOutcome.IssueType code)
    {
        var response = await BulkExport.SendKickOffAsync(gateway.CreateClient(), "/fhir/$export?" + query);

        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, code, expression);
    }

    [Theory]
    [InlineData("/fhir/$export", "patient/*.rs")]                       // system level: not for a patient token
    [InlineData("/fhir/Patient/$export?_type=Observation", "system/Patient.rs")] // the only asked type is not granted
    [InlineData("/fhir/Patient/$export", "system/Observation.rs")]      // Patient level needs rs on Patient
    public async Task GivenTokenThatMayNotExportThat_WhenKickingOff_Then403(string path, string scope)
    {
        using var http = gateway.ClientWith(TestTokens.Token(scope, patient: "p-export-7f3a21"));

        await Http.AssertOutcome(await BulkExport.SendKickOffAsync(http, path), HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
    }

    [Fact]
    public async Task GivenUnknownGroup_WhenKickingOff_Then404()
    {
        var response = await BulkExport.SendKickOffAsync(gateway.CreateClient(), "/fhir/Group/no-such-group-7f3a21/$export");

        await Http.AssertOutcome(response, HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Fact]
    public async Task GivenQueuedExport_WhenPolled_Then202WithProgress_AndOnlyItsClientSeesIt_AndDeleteRemovesIt()
    {
        using var owner = gateway.ClientWith(TestTokens.Token("system/*.rs", clientId: "export-owner-e2e"));
        using var other = gateway.ClientWith(TestTokens.Token("system/*.rs", clientId: "export-other-e2e"));
        var statusUrl = await BulkExport.KickOffAsync(owner, "/fhir/$export?_type=Patient");

        var status = await owner.GetAsync(statusUrl);
        var stranger = await other.GetAsync(statusUrl);
        var strangerDelete = await other.DeleteAsync(statusUrl);
        var delete = await owner.DeleteAsync(statusUrl);
        var afterDelete = await owner.GetAsync(statusUrl);

        Assert.Equal(HttpStatusCode.Accepted, status.StatusCode);
        Assert.Equal("queued", status.Headers.GetValues("X-Progress").Single());
        Assert.Contains("/fhir/$export-status/", statusUrl, StringComparison.Ordinal);
        await Http.AssertOutcome(stranger, HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, strangerDelete.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
    }

    [Fact]
    public async Task GivenCapabilityStatement_ThenExportIsDeclaredAtSystemPatientAndGroupLevel()
    {
        var capabilities = (await gateway.Fhir().CapabilityStatementAsync())!;
        var rest = capabilities.Rest.Single();

        Assert.Contains(rest.Operation, o => o.Name == "export" && o.Definition == "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export");
        Assert.Contains(rest.Resource.Single(r => r.Type == "Patient").Operation, o => o.Name == "export");
        Assert.Contains(rest.Resource.Single(r => r.Type == "Group").Operation, o => o.Name == "export");
    }
}
