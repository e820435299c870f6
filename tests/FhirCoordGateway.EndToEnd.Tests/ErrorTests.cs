using System.Net;
using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Every error status answers an OperationOutcome that says what and where.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ErrorTests(GatewayFactory gateway)
{
    [Fact]
    public async Task GivenUnknownElementAndBadValue_WhenCreatingJson_Then400ListingEachWithLocation()
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient", Http.Json("""{"resourceType":"Patient","nickname":"Cam","birthDate":"14/03/1975"}"""));

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Structure, "Patient.nickname");
        Assert.Contains(outcome.Issue, i => i.Expression.Contains("Patient.birthDate"));
    }

    [Fact]
    public async Task GivenWrongType_WhenCreatingJson_Then400AtThatElement()
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient", Http.Json("""{"resourceType":"Patient","active":"yes"}"""));
        var outcome = await Http.ReadOutcome(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(outcome.Issue, i => i.Expression.Contains("Patient.active"));
    }

    [Fact]
    public async Task GivenUnknownElement_WhenCreatingXml_Then400InXmlWithLocation()
    {
        using var http = gateway.CreateClient();
        var request = Http.Request(HttpMethod.Post, "/fhir/Patient",
            Http.Xml("""<Patient xmlns="http://hl7.org/fhir"><nickname value="Cam"/></Patient>"""), ("Accept", "application/fhir+xml"));

        var response = await http.SendAsync(request);

        Assert.Equal("application/fhir+xml", response.Content.Headers.ContentType!.MediaType);
        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Structure, "Patient.nickname");
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient",""", "application/fhir+json")]
    [InlineData("""<Patient xmlns="http://hl7.org/fhir"><active value="true"/>""", "application/fhir+xml")]
    [InlineData("""{"id":"no-type"}""", "application/fhir+json")]
    public async Task GivenMalformedBody_WhenCreating_Then400WithLocation(string body, string contentType)
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient", new StringContent(body, System.Text.Encoding.UTF8, contentType));

        var outcome = await Http.ReadOutcome(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.All(outcome.Issue, i => Assert.Equal(OperationOutcome.IssueSeverity.Error, i.Severity));
        Assert.All(outcome.Issue, i => Assert.True(i.Expression.Any() || i.Location.Any(), "each issue says where"));
    }

    [Fact]
    public async Task GivenBodyOfOtherType_WhenCreating_Then400AtResourceType()
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient", Http.Json("""{"resourceType":"Basic","code":{"text":"x"}}"""));
        await Http.AssertOutcome(response, HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "resourceType");
    }

    [Theory]
    [InlineData("GET", "/fhir/Unicorn")]
    [InlineData("GET", "/fhir/Unicorn/1")]
    [InlineData("POST", "/fhir/Unicorn")]
    [InlineData("GET", "/fhir/Patient/1/_history/1/extra")]
    [InlineData("GET", "/not-fhir-at-all")]
    public async Task GivenUnknownTypeOrRoute_Then404Outcome(string method, string url)
    {
        using var http = gateway.CreateClient();
        var response = await http.SendAsync(Http.Request(new HttpMethod(method), url, method == "POST" ? Http.Json("""{"resourceType":"Patient"}""") : null));
        await Http.AssertOutcome(response, HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound);
    }

    [Theory]
    [InlineData("POST", "/fhir/Patient/123")]
    [InlineData("PATCH", "/fhir/Patient/123/_history/1")]
    [InlineData("DELETE", "/fhir/metadata")]
    public async Task GivenWrongMethod_Then405Outcome(string method, string url)
    {
        using var http = gateway.CreateClient();
        var response = await http.SendAsync(Http.Request(new HttpMethod(method), url));
        await Http.AssertOutcome(response, HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
    }

    [Theory]
    [InlineData("Accept", "text/html")]
    [InlineData("_format", "text/turtle")]
    public async Task GivenUnproducibleFormat_Then406Outcome(string how, string value)
    {
        using var http = gateway.CreateClient();
        var url = how == "_format" ? $"/fhir/metadata?_format={Uri.EscapeDataString(value)}" : "/fhir/metadata";
        var request = Http.Request(HttpMethod.Get, url, null, how == "Accept" ? [("Accept", value)] : []);

        var response = await http.SendAsync(request);

        await Http.AssertOutcome(response, HttpStatusCode.NotAcceptable, OperationOutcome.IssueType.NotSupported);
    }

    [Fact]
    public async Task GivenUnsupportedContentType_Then415Outcome()
    {
        using var http = gateway.CreateClient();
        var response = await http.PostAsync("/fhir/Patient", new StringContent("""{"resourceType":"Patient"}""", System.Text.Encoding.UTF8, "text/plain"));
        await Http.AssertOutcome(response, HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GivenBodyOverLimit_Then413Outcome(bool withContentLength)
    {
        using var http = gateway.CreateClient();
        var big = """{"resourceType":"Basic","code":{"text":"big"},"id":"x","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">""" +
                  new string('a', GatewayFactory.MaxBodyBytes) + "</div>\"}}";
        HttpContent content = withContentLength
            ? Http.Json(big)
            : new StreamContent(new NoLengthStream(System.Text.Encoding.UTF8.GetBytes(big)));
        content.Headers.ContentType = Http.FhirJson;

        var response = await http.PostAsync("/fhir/Basic", content);

        await Http.AssertOutcome(response, HttpStatusCode.RequestEntityTooLarge, OperationOutcome.IssueType.TooCostly);
    }

    [Fact]
    public async Task GivenValidatorErrors_WhenCreating_Then422WithIssuesAndNothingStored()
    {
        using var factory = GatewayFactory.With(s => s.AddSingleton<IResourceValidator>(new RejectUnknownGender()));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());
        var patient = TestData.Patient();
        patient.Gender = AdministrativeGender.Unknown;

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(patient));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Patient.gender"], error.Outcome!.Issue.Single().Expression);
        var search = await client.SearchAsync<Patient>([$"identifier={TestData.Ipp}|{TestData.IppOf(patient)}"]);
        Assert.Empty(search!.Entry);
    }

    private sealed class RejectUnknownGender : IResourceValidator
    {
        public OperationOutcome Validate(Resource resource) => resource is Patient { Gender: AdministrativeGender.Unknown }
            ? Core.Outcomes.Outcomes.Error(OperationOutcome.IssueType.Value, "gender must be known", "Patient.gender")
            : new OperationOutcome();
    }

    /// <summary>A stream that hides its length, so the body is sent chunked without Content-Length.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
