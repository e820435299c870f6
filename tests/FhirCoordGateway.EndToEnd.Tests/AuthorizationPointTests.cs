using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Every FHIR endpoint passes through the single authorization point with the right description of the
/// request, and a refusal there stops the request before anything happens. Also: the 500 path.
/// </summary>
public sealed class AuthorizationPointTests
{
    [Fact]
    public async Task GivenRecordingAuthorizer_ThenEveryInteractionIsDescribedToIt()
    {
        var recorder = new RecordingAuthorizer();
        using var factory = GatewayFactory.With(s => s.AddSingleton<IRequestAuthorizer>(recorder));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());

        await client.CapabilityStatementAsync();
        var created = (await client.CreateAsync(TestData.Patient()))!;
        await client.ReadAsync<Patient>($"Patient/{created.Id}");
        await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1");
        await client.UpdateAsync(created);
        await client.HistoryAsync($"Patient/{created.Id}");
        await client.TypeHistoryAsync("Patient", pageSize: 1);
        await client.WholeSystemHistoryAsync(pageSize: 1);
        await client.SearchAsync<Patient>([$"_id={created.Id}"]);
        await client.DeleteAsync($"Patient/{created.Id}");

        Assert.Equal(
            [
                new(FhirInteraction.Capabilities, null, null),
                new(FhirInteraction.Create, "Patient", null),
                new(FhirInteraction.Read, "Patient", created.Id),
                new(FhirInteraction.VRead, "Patient", created.Id),
                new(FhirInteraction.Update, "Patient", created.Id),
                new(FhirInteraction.HistoryInstance, "Patient", created.Id),
                new(FhirInteraction.HistoryType, "Patient", null),
                new(FhirInteraction.HistorySystem, null, null),
                new(FhirInteraction.SearchType, "Patient", null),
                new FhirRequestContext(FhirInteraction.Delete, "Patient", created.Id),
            ],
            recorder.Seen);
    }

    [Fact]
    public async Task GivenDenyingAuthorizer_ThenWritesAreRefusedWith403AndNothingStored()
    {
        var ipp = TestData.Unique("denied");
        using var factory = GatewayFactory.With(s => s.AddSingleton<IRequestAuthorizer>(new DenyCreates()));
        var client = new FhirClient(new Uri(factory.Server.BaseAddress, "fhir"), factory.CreateClient());

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => client.CreateAsync(TestData.Patient(ipp)));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, error.Outcome!.Issue[0].Code);
        var search = await client.SearchAsync<Patient>([$"identifier={TestData.Ipp}|{ipp}"]);
        Assert.Empty(search!.Entry);
    }

    [Fact]
    public async Task GivenConflictRaised_ThenAnswer409Outcome()
    {
        using var factory = GatewayFactory.With(s => s.AddSingleton<IRequestAuthorizer>(new Throwing(
            FhirOutcomeException.Of(FailureKind.Conflict, "conflict e2e"))));
        using var http = factory.CreateClient();

        var response = await http.GetAsync("/fhir/Patient/any");

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.Conflict, OperationOutcome.IssueType.Conflict);
        Assert.Equal("conflict e2e", outcome.Issue[0].Diagnostics);
    }

    [Fact]
    public async Task GivenUnexpectedException_Then500WithCorrelationIdAndNoExceptionText()
    {
        using var factory = GatewayFactory.With(s => s.AddSingleton<IRequestAuthorizer>(new Throwing(
            new InvalidOperationException("secret-detail-7f3a21"))));
        using var http = factory.CreateClient();

        var response = await http.SendAsync(Http.Request(HttpMethod.Get, "/fhir/Patient/any", null, ("X-Request-Id", "corr-500-e2e")));
        var body = await response.Content.ReadAsStringAsync();

        var outcome = await Http.AssertOutcome(response, HttpStatusCode.InternalServerError, OperationOutcome.IssueType.Exception);
        Assert.Equal("corr-500-e2e", outcome.Id);
        Assert.Contains("corr-500-e2e", outcome.Issue[0].Diagnostics);
        Assert.DoesNotContain("secret-detail-7f3a21", body);
    }

    private sealed class RecordingAuthorizer : IRequestAuthorizer
    {
        private readonly ConcurrentQueue<FhirRequestContext> _seen = new();

        public List<FhirRequestContext> Seen => _seen.ToList();

        public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct)
        {
            _seen.Enqueue(request);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DenyCreates : IRequestAuthorizer
    {
        public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct) =>
            request.Interaction == FhirInteraction.Create
                ? throw FhirOutcomeException.Of(FailureKind.Forbidden, "creates are refused in this test")
                : ValueTask.CompletedTask;
    }

    private sealed class Throwing(Exception exception) : IRequestAuthorizer
    {
        public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct) =>
            request.Interaction == FhirInteraction.Read ? throw exception : ValueTask.CompletedTask;
    }
}
