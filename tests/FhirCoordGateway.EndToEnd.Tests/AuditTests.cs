using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Every access leaves an AuditEvent naming the client and the resources (never their content) with the
/// outcome; writes carry theirs in their own transaction; only an AuditEvent scope reads the trail, and nobody
/// changes it through the API.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditTests(GatewayFactory gateway)
{
    private FhirClient Auditor => gateway.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-e2e"));

    private async Task<List<AuditEvent>> AuditOf(string reference, int atLeast = 1)
    {
        // Reads are audited right after the answer, by a background writer: give it a moment.
        for (var attempt = 0; ; attempt++)
        {
            var found = (await Auditor.SearchAsync<AuditEvent>([$"entity={reference}", "_count=100"]))!.Entry.Select(e => (AuditEvent)e.Resource).ToList();
            if (found.Count >= atLeast || attempt == 50)
            {
                return found;
            }

            await Task.Delay(100);
        }
    }

    private static string ClientOf(AuditEvent audit) => audit.Agent.Single(a => a.Requestor == true).Who.Identifier.Value;

    [Fact]
    public async Task GivenCreate_ThenItsAuditEventIsCommittedWithIt()
    {
        var client = gateway.FhirWith(TestTokens.Token("system/Patient.c", clientId: "writer-e2e"));

        var created = (await client.CreateAsync(TestData.Patient(family: "Auditwrite-e2e")))!;

        // Found at once, no waiting: it was written in the create's own transaction.
        var audit = Assert.Single((await Auditor.SearchAsync<AuditEvent>([$"entity=Patient/{created.Id}"]))!.Entry.Select(e => (AuditEvent)e.Resource));
        Assert.Equal("create", audit.Subtype[0].Code);
        Assert.Equal(AuditEvent.AuditEventAction.C, audit.Action);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, audit.Outcome);
        Assert.Equal("writer-e2e", ClientOf(audit));
        Assert.Contains(audit.Entity, e => e.What.Reference == $"Patient/{created.Id}/_history/1");
        Assert.DoesNotContain("Auditwrite-e2e", FhirJsonSerializer.Default.SerializeToString(audit));
    }

    [Fact]
    public async Task GivenReadAndSearch_ThenAuditedWithTheReferencesReturned()
    {
        var created = (await gateway.Fhir().CreateAsync(TestData.Patient(family: "Auditread-e2e")))!;
        var reader = gateway.FhirWith(TestTokens.Token("system/Patient.rs", clientId: "reader-e2e"));

        await reader.ReadAsync<Patient>($"Patient/{created.Id}");
        await reader.SearchAsync<Patient>([$"_id={created.Id}"]);

        var audits = (await AuditOf($"Patient/{created.Id}", atLeast: 3)).Where(a => ClientOf(a) == "reader-e2e").ToList();
        var read = Assert.Single(audits, a => a.Subtype[0].Code == "read");
        Assert.Equal(AuditEvent.AuditEventAction.R, read.Action);
        Assert.Contains(read.Entity, e => e.What.Reference == $"Patient/{created.Id}/_history/1");
        var search = Assert.Single(audits, a => a.Subtype[0].Code == "search-type");
        Assert.Contains(search.Entity, e => e.What.Reference == $"Patient/{created.Id}");
        Assert.All(audits, a => Assert.DoesNotContain("Auditread-e2e", FhirJsonSerializer.Default.SerializeToString(a)));
        Assert.All(audits, a => Assert.Contains(a.Entity, e => e.What.Identifier?.System == "urn:fhircoord:correlation-id"));
    }

    [Fact]
    public async Task GivenCommitBeforeAnswer_WhenReadsSearchesAndRefusalsAreAnswered_ThenTheirAuditEventsAreAlreadyCommitted()
    {
        await using var strict = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["Security:Audit:CommitBeforeAnswer"] = "true",
            ["Security:Audit:FlushInterval"] = "00:00:05", // a request that did not wait would not find its AuditEvent
        });
        var created = (await strict.Fhir().CreateAsync(TestData.Patient()))!;
        var reader = strict.FhirWith(TestTokens.Token("system/Patient.rs", clientId: "durable-e2e"));
        using var refused = strict.ClientWith(TestTokens.Token("system/Observation.r", clientId: "durable-e2e"));
        var auditor = strict.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-e2e"));

        // Each answer starts only once its AuditEvent is committed (ADR 0016): searched for at once, never waited for.
        for (var i = 0; i < 5; i++)
        {
            await reader.ReadAsync<Patient>($"Patient/{created.Id}");
            await reader.SearchAsync<Patient>([$"_id={created.Id}"]);
            Assert.Equal(HttpStatusCode.Forbidden, (await refused.GetAsync($"/fhir/Patient/{created.Id}")).StatusCode);

            var audits = (await auditor.SearchAsync<AuditEvent>([$"entity=Patient/{created.Id}", "_count=100"]))!.Entry
                .Select(e => (AuditEvent)e.Resource).Where(a => ClientOf(a) == "durable-e2e").ToList();
            Assert.Equal(i + 1, audits.Count(a => a.Subtype[0].Code == "read" && a.Outcome == AuditEvent.AuditEventOutcome.N0));
            Assert.Equal(i + 1, audits.Count(a => a.Subtype[0].Code == "search-type"));
            Assert.Equal(i + 1, audits.Count(a => a.Outcome == AuditEvent.AuditEventOutcome.N4));
        }
    }

    [Fact]
    public async Task GivenRefusedRead_ThenAuditedAsFailureWithTheTarget()
    {
        var created = (await gateway.Fhir().CreateAsync(TestData.Patient()))!;
        using var http = gateway.ClientWith(TestTokens.Token("system/Observation.r", clientId: "refused-e2e"));

        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync($"/fhir/Patient/{created.Id}")).StatusCode);

        var refused = Assert.Single((await AuditOf($"Patient/{created.Id}", atLeast: 2)), a => ClientOf(a) == "refused-e2e");
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, refused.Outcome);
        Assert.Equal("HTTP 403", refused.OutcomeDesc);
        Assert.Equal("read", refused.Subtype[0].Code);
    }

    [Fact]
    public async Task GivenNonAuditorToken_WhenSearchingAuditEvents_Then403()
    {
        using var http = gateway.ClientWith(TestTokens.Token("system/*.cruds"));

        await Http.AssertOutcome(await http.GetAsync("/fhir/AuditEvent?_count=1"), HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden);
        var all = await http.GetAsync("/fhir?_count=50");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.DoesNotContain("\"resourceType\":\"AuditEvent\"", await all.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GivenAnyToken_WhenChangingAuditEvents_Then405AndTheRecordStays()
    {
        var created = (await gateway.Fhir().CreateAsync(TestData.Patient()))!;
        var audit = (await AuditOf($"Patient/{created.Id}"))[0];
        using var http = gateway.ClientWith(TestTokens.Token("system/*.cruds system/AuditEvent.cruds system/admin"));
        var body = Http.Json(FhirJsonSerializer.Default.SerializeToString(audit));

        await Http.AssertOutcome(await http.PutAsync($"/fhir/AuditEvent/{audit.Id}", body), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.DeleteAsync($"/fhir/AuditEvent/{audit.Id}"), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.DeleteAsync($"/fhir/AuditEvent?_id={audit.Id}"), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.PostAsync("/fhir/AuditEvent", Http.Json(FhirJsonSerializer.Default.SerializeToString(audit))), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.PatchAsync($"/fhir/AuditEvent/{audit.Id}", new StringContent("[]", System.Text.Encoding.UTF8, "application/json-patch+json")),
            HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);

        var transaction = new Bundle { Type = Bundle.BundleType.Transaction };
        transaction.Entry.Add(new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = $"AuditEvent/{audit.Id}" } });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/fhir", Http.Json(FhirJsonSerializer.Default.SerializeToString(transaction)))).StatusCode);

        var stored = (await Auditor.ReadAsync<AuditEvent>($"AuditEvent/{audit.Id}"))!;
        Assert.Equal("1", stored.Meta.VersionId);
    }

    [Fact]
    public async Task GivenNoToken_ThenTheRefusalIsAudited()
    {
        var marker = TestData.Unique("anon");
        using var http = gateway.ClientWith(null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"/fhir/Patient/{marker}")).StatusCode);

        // No filter ran for it, so it names no resource: find it by its correlation id instead.
        var correlation = "anon-7f3a21-" + Guid.NewGuid().ToString("N")[..8];
        var again = await http.SendAsync(Http.Request(HttpMethod.Get, $"/fhir/Patient/{marker}", null, ("X-Request-Id", correlation)));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var bundle = (await Auditor.SearchAsync<AuditEvent>(["outcome=4", "_count=1000", "_sort=-_lastUpdated"]))!;
            var hit = bundle.Entry.Select(e => (AuditEvent)e.Resource)
                .FirstOrDefault(a => a.Entity.Any(e => e.What.Identifier?.Value == correlation));
            if (hit is not null)
            {
                Assert.Equal("unauthenticated", hit.Agent[0].Who.Display);
                Assert.Equal("HTTP 401", hit.OutcomeDesc);
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("no AuditEvent for the refused anonymous request");
    }

    [Fact]
    public async Task GivenTheAuditTrail_WhenAskedForWhatItDoesNotSupport_ThenA4xxOutcomeNamesIt()
    {
        var created = (await gateway.Fhir().CreateAsync(TestData.Patient()))!;
        var audit = (await AuditOf($"Patient/{created.Id}"))[0];
        using var http = gateway.ClientWith(TestTokens.Token("system/*.cruds system/AuditEvent.rs"));

        // One version each, no history.
        await Http.AssertOutcome(await http.GetAsync($"/fhir/AuditEvent/{audit.Id}/_history"), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.GetAsync("/fhir/AuditEvent/_history"), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/AuditEvent/{audit.Id}/_history/1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/fhir/AuditEvent/{audit.Id}/_history/2")).StatusCode);
        // Only the audit trail's own parameters, never through another type.
        await Http.AssertOutcome(await http.GetAsync("/fhir/AuditEvent?entity-name=x"), HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid, "entity-name");
        await Http.AssertOutcome(await http.GetAsync($"/fhir/Patient?_id={created.Id}&_revinclude=AuditEvent:entity"), HttpStatusCode.BadRequest, OperationOutcome.IssueType.Invalid);

        var capabilities = (await gateway.Fhir().CapabilityStatementAsync())!;
        var described = capabilities.Rest[0].Resource.Single(r => r.Type == "AuditEvent");
        Assert.Equal(["read", "vread", "search-type"], described.Interaction.Select(i => i.Code!.Value.GetLiteral()));
        Assert.Contains(described.SearchParam, p => p.Name == "entity");
        Assert.DoesNotContain(described.SearchParam, p => p.Name == "entity-name");
        Assert.DoesNotContain(capabilities.Rest[0].Resource.Single(r => r.Type == "Patient").SearchRevInclude, r => r.StartsWith("AuditEvent:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GivenSecurityOff_WhenAClientWritesAnAuditEvent_Then405AsWithSecurityOn()
    {
        await using var open = GatewayFactory.WithSettings(new Dictionary<string, string> { ["Security:Enabled"] = "false" });
        using var http = open.CreateClient();
        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest"),
            Recorded = DateTimeOffset.UtcNow,
            Agent = [new AuditEvent.AgentComponent { Requestor = true, Who = new ResourceReference { Display = "forger" } }],
            Source = new AuditEvent.SourceComponent { Observer = new ResourceReference { Display = "forger" } },
        };

        await Http.AssertOutcome(await http.PostAsync("/fhir/AuditEvent", Http.Json(FhirJsonSerializer.Default.SerializeToString(audit))), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
        await Http.AssertOutcome(await http.PutAsync("/fhir/AuditEvent/1", Http.Json(FhirJsonSerializer.Default.SerializeToString(audit))), HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported);
    }
}
