using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FhirCoordGateway.Delivery.SharedRecord;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

/// <summary>
/// Contract tests with WireMock.Net as the shared record (MHD Document Recipient): the exact ITI-65 request we send,
/// and our reaction to its answers. The connector comes from <see cref="SharedRecordServiceCollectionExtensions.AddSharedRecord"/>.
/// </summary>
public sealed class SharedRecordContractTests : IDisposable
{
    private const string Base = "/fhir-sr-4d21";
    private const string BearerToken = "token-sr-e61f0c";
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirJsonSerializer Writer = new();

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly ServiceProvider _services;

    public SharedRecordContractTests() => _services = Services(_server.Url + Base, timeoutSeconds: 20);

    public void Dispose()
    {
        _services.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private ISharedRecordConnector Connector => _services.GetRequiredService<ISharedRecordConnector>();

    private static ServiceProvider Services(string baseUrl, int timeoutSeconds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Delivery:SharedRecord:BaseUrl"] = baseUrl,
            ["Delivery:SharedRecord:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Delivery:SharedRecord:SourceOid"] = SourceOid,
            ["Delivery:SharedRecord:BearerToken"] = BearerToken,
        }).Build();
        return new ServiceCollection().AddLogging().AddSharedRecord(configuration).BuildServiceProvider();
    }

    private void AnswerProvide(HttpStatusCode status, Resource? body, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode((int)status).WithHeader("Content-Type", "application/fhir+json");
        if (body is not null) response = response.WithBody(Writer.SerializeToString(body));
        if (delay is { } d) response = response.WithDelay(d);
        _server.Given(Request.Create().WithPath(Base).UsingPost()).RespondWith(response);
    }

    private static Bundle TransactionResponse(params string[] statuses)
    {
        var locations = new[] { "List/ss-88", "DocumentReference/dr-5521/_history/1", "Binary/bin-77" };
        var bundle = new Bundle { Type = Bundle.BundleType.TransactionResponse };
        for (var i = 0; i < statuses.Length; i++)
            bundle.Entry.Add(new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = statuses[i], Location = statuses[i].StartsWith('2') ? locations[i] : null } });
        return bundle;
    }

    private static OperationOutcome Outcome(OperationOutcome.IssueType code, string text) => new()
    {
        Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = code, Details = new CodeableConcept { Text = text } }],
    };

    private IReadOnlyList<WireMock.Logging.ILogEntry> Posts => _server.LogEntries.Where(e => e.RequestMessage.Method == "POST").ToList();

    [Fact]
    public async Task GivenSharedRecordStoresTheDocument_WhenSubmitting_ThenItReceivesExactlyThePdsmBundleAndTheReceiptIsTheDocumentLocation()
    {
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"));
        var outbound = Crh();

        var receipt = await Connector.SubmitAsync(outbound, earlierAttemptUnknown: false, CancellationToken.None);

        Assert.Equal("DocumentReference/dr-5521/_history/1", receipt.RemoteReference);
        var request = Assert.Single(Posts).RequestMessage;
        Assert.Equal(Base, request.Path);
        Assert.StartsWith("application/fhir+json", request.Headers!["Content-Type"].Single());
        Assert.Equal("Bearer " + BearerToken, request.Headers["Authorization"].Single());

        // The body, parsed strictly (it is valid R4 JSON), then field by field.
        using (var json = JsonDocument.Parse(request.Body!))
            Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("entry")[1].GetProperty("resource").GetProperty("content")[0].GetProperty("attachment").GetProperty("size").ValueKind);
        var sent = Strict.Deserialize<Bundle>(request.Body!);
        Assert.Equal(Bundle.BundleType.Transaction, sent.Type);
        Assert.Equal([("List", "urn:uuid:"), ("DocumentReference", "urn:uuid:"), ("Binary", "urn:uuid:")],
            sent.Entry.Select(e => (e.Request.Url, e.FullUrl[..9])));

        var list = (List)sent.Entry[0].Resource;
        Assert.Equal("urn:oid:" + SourceOid, ((Identifier)list.GetExtension("https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId").Value).Value);
        Assert.Equal(sent.Entry[1].FullUrl, list.Entry.Single().Item.Reference);
        Assert.Equal("submissionset", list.Code.Coding.Single().Code);

        var document = (DocumentReference)sent.Entry[1].Resource;
        Assert.Equal(outbound.Document.MasterIdentifier.Value, document.MasterIdentifier.Value);
        Assert.Equal("34112-3", document.Type.Coding.Single().Code);
        Assert.Equal(outbound.Patient.Identifier.First(i => i.System == "urn:oid:1.2.250.1.213.1.4.8").Value, document.Subject.Identifier.Value);
        Assert.Equal(sent.Entry[2].FullUrl, document.Content.Single().Attachment.Url);
        Assert.Equal(CrhPdf.Length, (int)document.Content.Single().Attachment.SizeUnsignedInt!);
        Assert.Equal(SHA1.HashData(CrhPdf), document.Content.Single().Attachment.Hash);
        Assert.Equal("urn:oid:1.2.250.1.71.4.2.2", document.Custodian.Identifier.System);
        Assert.Equal(CrhPdf, ((Binary)sent.Entry[2].Resource).Data);

        var validation = Validator.Validate(sent, [BundleProfile]);
        Assert.False(validation.HasErrors, Describe(validation));
    }

    [Theory]
    [InlineData(HttpStatusCode.Created)]
    [InlineData(HttpStatusCode.OK)]
    public async Task GivenA2xxTransactionResponse_WhenSubmitting_ThenDelivered(HttpStatusCode status)
    {
        AnswerProvide(status, TransactionResponse("201 Created", "201 Created", "201 Created"));

        var receipt = await Connector.SubmitAsync(Crh(), false, CancellationToken.None);

        Assert.Equal("DocumentReference/dr-5521/_history/1", receipt.RemoteReference);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "XDSMissingDocumentMetadata: typeCode absent")]
    [InlineData(HttpStatusCode.Conflict, OperationOutcome.IssueType.Duplicate, "XDSDuplicateUniqueIdInRegistry")]
    [InlineData(HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.BusinessRule, "XDSPatientIdDoesNotMatch")]
    [InlineData(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, "structure not authorised")]
    public async Task GivenThePeerRefusesWith4xx_WhenSubmitting_ThenPermanentFailureWithTheOutcomeText(HttpStatusCode status, OperationOutcome.IssueType code, string text)
    {
        AnswerProvide(status, Outcome(code, text));

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector.SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), failure.Message);
        Assert.Contains(text, failure.Message);
        Assert.DoesNotContain("LEFEBVRE", failure.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Single(Posts);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task GivenThePeerFailsWith5xxOr429_WhenSubmitting_ThenTransientFailure(HttpStatusCode status)
    {
        AnswerProvide(status, Outcome(OperationOutcome.IssueType.Transient, "registry unavailable"));

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector.SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Contains("registry unavailable", failure.Message);
    }

    [Fact]
    public async Task GivenThePeerAnswersAfterTheTimeout_WhenSubmitting_ThenTransientFailure()
    {
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"), delay: TimeSpan.FromSeconds(6));
        using var services = Services(_server.Url + Base, timeoutSeconds: 1);

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => services.GetRequiredService<ISharedRecordConnector>().SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Contains("did not answer", failure.Message);
    }

    [Fact]
    public async Task GivenNothingListensAtTheEndpoint_WhenSubmitting_ThenTransientFailure()
    {
        var down = WireMockServer.Start();
        var url = down.Url!;
        down.Stop();
        down.Dispose();
        using var services = Services(url + Base, timeoutSeconds: 5);

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => services.GetRequiredService<ISharedRecordConnector>().SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.IsType<HttpRequestException>(failure.InnerException);
    }

    [Theory]
    [InlineData("500 Internal Server Error", true)]
    [InlineData("422 Unprocessable Entity", false)]
    public async Task GivenATransactionResponseWithOneFailedEntry_WhenSubmitting_ThenNotDelivered(string failedStatus, bool transient)
    {
        var response = TransactionResponse("201 Created", failedStatus, "201 Created");
        response.Entry[1].Response.Outcome = Outcome(OperationOutcome.IssueType.Invalid, "hash mismatch h-31c7");
        AnswerProvide(HttpStatusCode.OK, response);

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector.SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.Equal(transient, failure.Transient);
        Assert.Contains("entry 1", failure.Message);
        Assert.Contains("hash mismatch h-31c7", failure.Message);
    }

    [Fact]
    public async Task GivenA2xxWithoutATransactionResponse_WhenSubmitting_ThenTransientSoTheNextAttemptLooksItUp()
    {
        AnswerProvide(HttpStatusCode.OK, body: null);

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector.SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.True(failure.Transient);
    }

    [Fact]
    public async Task GivenAnEarlierAttemptStoredTheDocument_WhenSubmittingWithEarlierAttemptUnknown_ThenNoPostAndTheExistingReceipt()
    {
        var outbound = Crh();
        var stored = new DocumentReference { Id = "dr-already-3390", MasterIdentifier = new Identifier("urn:ietf:rfc:3986", outbound.Document.MasterIdentifier.Value) };
        _server.Given(Request.Create().WithPath(Base + "/DocumentReference").WithParam("identifier", outbound.Document.MasterIdentifier.Value).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json").WithBody(Writer.SerializeToString(
                new Bundle { Type = Bundle.BundleType.Searchset, Entry = [new Bundle.EntryComponent { FullUrl = "http://sr/DocumentReference/dr-already-3390", Resource = stored }] })));
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"));

        var receipt = await Connector.SubmitAsync(outbound, earlierAttemptUnknown: true, CancellationToken.None);

        Assert.Equal("DocumentReference/dr-already-3390", receipt.RemoteReference);
        Assert.Empty(Posts);
        Assert.Single(_server.LogEntries, e => e.RequestMessage.Method == "GET");
    }

    [Fact]
    public async Task GivenTheDocumentIsNotThere_WhenSubmittingWithEarlierAttemptUnknown_ThenExactlyOnePost()
    {
        var outbound = Crh();
        _server.Given(Request.Create().WithPath(Base + "/DocumentReference").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/fhir+json")
                .WithBody(Writer.SerializeToString(new Bundle { Type = Bundle.BundleType.Searchset })));
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"));

        var receipt = await Connector.SubmitAsync(outbound, earlierAttemptUnknown: true, CancellationToken.None);

        Assert.Equal("DocumentReference/dr-5521/_history/1", receipt.RemoteReference);
        var search = Assert.Single(_server.LogEntries, e => e.RequestMessage.Method == "GET").RequestMessage;
        Assert.Equal(outbound.Document.MasterIdentifier.Value, search.Query!["identifier"].Single());
        Assert.Single(Posts);
    }

    [Fact]
    public async Task GivenTheLookUpFails_WhenSubmittingWithEarlierAttemptUnknown_ThenTransientFailureAndNoPost()
    {
        _server.Given(Request.Create().WithPath(Base + "/DocumentReference").UsingGet()).RespondWith(Response.Create().WithStatusCode(503));
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"));

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector.SubmitAsync(Crh(), true, CancellationToken.None));

        Assert.True(failure.Transient);
        Assert.Empty(Posts);
    }

    [Fact]
    public async Task GivenANewPpsVersion_WhenSubmittingItsDocument_ThenTheSharedRecordIsToldItReplacesThePreviousOne()
    {
        AnswerProvide(HttpStatusCode.OK, TransactionResponse("201 Created", "201 Created", "201 Created"));
        var renderer = PpsFixtures.Renderer();
        var v3 = renderer.Render(PpsFixtures.Request(PpsFixtures.Plan("3")));
        v3.Id = "doc-pps-v3-5e02";
        var v4 = PpsFixtures.Stored(renderer.Render(PpsFixtures.Request(PpsFixtures.Plan("4"), previous: v3)), "doc-pps-v4-a7d9");

        await Connector.SubmitAsync(v4, earlierAttemptUnknown: false, CancellationToken.None);

        var sent = Strict.Deserialize<Bundle>(Assert.Single(Posts).RequestMessage.Body!);
        var document = (DocumentReference)sent.Entry[1].Resource;
        Assert.Equal(v4.Document.MasterIdentifier.Value, document.MasterIdentifier.Value);
        Assert.Equal("18776-5", document.Type.Coding.Single().Code);
        var relation = Assert.Single(document.RelatesTo);
        Assert.Equal(DocumentRelationshipType.Replaces, relation.Code);
        Assert.Equal(("urn:ietf:rfc:3986", v3.MasterIdentifier.Value), (relation.Target.Identifier.System, relation.Target.Identifier.Value));
        Assert.Null(relation.Target.Reference);
        Assert.Equal(v4.Content, ((Binary)sent.Entry[2].Resource).Data);
        Assert.Equal("text/html", document.Content.Single().Attachment.ContentType);
        var validation = Validator.Validate(sent, [BundleProfile]);
        Assert.False(validation.HasErrors, Describe(validation));
    }

    [Fact]
    public void GivenConfigurationWithoutBaseUrlOrSourceOid_WhenResolvingOptions_ThenValidationFails()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Delivery:SharedRecord:SourceOid"] = "not-an-oid",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddSharedRecord(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SharedRecordOptions>>().Value);

        Assert.Contains(failure.Failures, f => f.Contains("BaseUrl", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("SourceOid", StringComparison.Ordinal));
    }
}
