using System.Net;
using FhirCoordGateway.Core.Security;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace FhirCoordGateway.EndToEnd.Tests.Export;

/// <summary>
/// Whole bulk exports: kick-off, Hangfire job, polling, manifest and downloads against a gateway with background
/// work on a database of its own. Data is written with FhirClient; each test looks only at its own resources.
/// </summary>
[Collection(BackgroundWorkCollection.Name)]
public sealed class ExportTests(ExportTests.Gateway gateway) : IClassFixture<ExportTests.Gateway>
{
    private readonly GatewayFactory _factory = gateway.Factory;
    private readonly FhirClient _fhir = gateway.Factory.Fhir();

    /// <summary>One gateway with Hangfire running, on a database of its own.</summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("export"),
            ["Jobs:RunServer"] = "true",
            // Small files, so that a type spreads over several and the manifest's counts are checked per file.
            ["Export:ResourcesPerFile"] = "2",
            ["Export:PageSize"] = "3",
        });

        public void Dispose() => Factory.Dispose();
    }

    private HttpClient Client(string scope, string clientId = "export-e2e", string? patient = null, string? role = null, string subject = "export-user") =>
        _factory.ClientWith(TestTokens.Token(new Api.Security.TokenRequest(scope, patient, role, clientId, subject)));

    private async Task<(Patient Patient, List<Observation> Observations)> PatientWithObservationsAsync(int count)
    {
        var patient = (await _fhir.CreateAsync(TestData.Patient()))!;
        var observations = new List<Observation>();
        for (var i = 0; i < count; i++)
        {
            observations.Add((await _fhir.CreateAsync(new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "8867-4"),
                Subject = new ResourceReference($"Patient/{patient.Id}"),
                Value = new Quantity(60 + i, "/min"),
            }))!);
        }

        return (patient, observations);
    }

    [Fact]
    public async Task GivenSystemToken_WhenExportingTypes_ThenManifestListsEveryFileWithCountsAndTheFilesHoldTheData()
    {
        var (patient, observations) = await PatientWithObservationsAsync(5);
        using var http = Client("system/*.rs");

        var statusUrl = await BulkExport.KickOffAsync(http, "/fhir/$export?_type=Patient,Observation&_outputFormat=application%2Ffhir%2Bndjson");
        var manifest = await BulkExport.WaitAsync(http, statusUrl);
        var exported = await manifest.DownloadAllAsync(http);

        Assert.True(manifest.Root.GetProperty("requiresAccessToken").GetBoolean());
        Assert.EndsWith("/fhir/$export?_type=Patient,Observation&_outputFormat=application%2Ffhir%2Bndjson", manifest.Root.GetProperty("request").GetString(), StringComparison.Ordinal);
        var transactionTime = DateTimeOffset.Parse(manifest.Root.GetProperty("transactionTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(transactionTime >= observations[^1].Meta.LastUpdated!.Value.AddMilliseconds(-1));
        Assert.Empty(manifest.Error);
        Assert.Empty(manifest.Root.GetProperty("deleted").EnumerateArray());
        Assert.Equal(["Observation", "Patient"], manifest.Output.Select(o => o.Type).Distinct().Order());
        Assert.All(manifest.Output, o => Assert.InRange(o.Count, 1, 2));                 // two resources per file at most
        Assert.Equal(exported.Count, manifest.Output.Sum(o => o.Count));
        Assert.Equal(exported.Count, exported.Select(r => r.TypeName + "/" + r.Id).Distinct().Count());
        Assert.Contains(exported, r => r is Patient && r.Id == patient.Id);
        Assert.All(observations, o => Assert.Contains(exported, r => r is Observation && r.Id == o.Id));
        var mine = exported.OfType<Observation>().Single(o => o.Id == observations[2].Id);
        Assert.Equal(62m, ((Quantity)mine.Value).Value);
    }

    [Fact]
    public async Task GivenSince_WhenExporting_ThenOnlyWhatChangedAfterItAndNothingAfterTheTransactionTime()
    {
        var before = await PatientWithObservationsAsync(1);
        await Task.Delay(50);
        var since = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        var after = await PatientWithObservationsAsync(1);
        using var http = Client("system/*.rs");

        var statusUrl = await BulkExport.KickOffAsync(http, $"/fhir/$export?_type=Observation&_since={Uri.EscapeDataString(since.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture))}");
        var manifest = await BulkExport.WaitAsync(http, statusUrl);
        var later = await PatientWithObservationsAsync(1);   // written after the kick-off: after the transaction time
        var exported = await manifest.DownloadAllAsync(http);

        Assert.All(exported, r => Assert.IsType<Observation>(r));
        Assert.Contains(exported, r => r.Id == after.Observations[0].Id);
        Assert.DoesNotContain(exported, r => r.Id == before.Observations[0].Id);
        Assert.DoesNotContain(exported, r => r.Id == later.Observations[0].Id);
        Assert.All(exported, r => Assert.True(r.Meta.LastUpdated > since));
    }

    [Fact]
    public async Task GivenPatientToken_WhenExportingAtPatientLevel_ThenOnlyItsOwnCompartment()
    {
        var own = await PatientWithObservationsAsync(2);
        var other = await PatientWithObservationsAsync(2);
        var practitioner = (await _fhir.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Export-e2e" }] }))!;
        using var http = Client("patient/*.rs", patient: own.Patient.Id);

        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, "/fhir/Patient/$export"));
        var exported = await manifest.DownloadAllAsync(http);

        Assert.Equal(
            new[] { $"Patient/{own.Patient.Id}" }.Concat(own.Observations.Select(o => $"Observation/{o.Id}")).Order(),
            exported.Select(r => $"{r.TypeName}/{r.Id}").Order());
        Assert.DoesNotContain(exported, r => r.Id == other.Patient.Id || r.Id == practitioner.Id);
    }

    [Fact]
    public async Task GivenSystemToken_WhenExportingAtPatientLevel_ThenEveryPatientsCompartmentButNoOtherTypes()
    {
        var first = await PatientWithObservationsAsync(1);
        var second = await PatientWithObservationsAsync(1);
        var practitioner = (await _fhir.CreateAsync(new Practitioner { Name = [new HumanName { Family = "Export-e2e" }] }))!;
        var orphan = (await _fhir.CreateAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4") }))!;
        using var http = Client("system/*.rs");

        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, "/fhir/Patient/$export?_type=Patient,Observation,Practitioner"));
        var exported = await manifest.DownloadAllAsync(http);

        Assert.Contains(exported, r => r.Id == first.Observations[0].Id);
        Assert.Contains(exported, r => r.Id == second.Patient.Id);
        Assert.DoesNotContain(exported, r => r.Id == orphan.Id);           // in no patient's compartment
        Assert.DoesNotContain(exported, r => r.Id == practitioner.Id);
        var error = Assert.Single(manifest.Error);
        Assert.Equal("OperationOutcome", error.Type);
        var outcome = Assert.IsType<OperationOutcome>(Assert.Single(await BulkExport.DownloadAsync(http, error.Url)));
        Assert.Equal(OperationOutcome.IssueType.NotSupported, outcome.Issue[0].Code);
        Assert.Contains("Practitioner", outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GivenGroup_WhenExportingIt_ThenOnlyItsMembersCompartments()
    {
        var member = await PatientWithObservationsAsync(2);
        var outsider = await PatientWithObservationsAsync(1);
        var group = (await _fhir.CreateAsync(new Group
        {
            Type = Group.GroupType.Person,
            Actual = true,
            Member = [new Group.MemberComponent { Entity = new ResourceReference($"Patient/{member.Patient.Id}") }],
        }))!;
        using var http = Client("system/*.rs");

        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, $"/fhir/Group/{group.Id}/$export?_type=Patient,Observation"));
        var exported = await manifest.DownloadAllAsync(http);

        Assert.Equal(
            new[] { $"Patient/{member.Patient.Id}" }.Concat(member.Observations.Select(o => $"Observation/{o.Id}")).Order(),
            exported.Select(r => $"{r.TypeName}/{r.Id}").Order());
        Assert.DoesNotContain(exported, r => r.Id == outsider.Patient.Id);
    }

    [Fact]
    public async Task GivenTypeTheTokenCannotRead_WhenAskedWithOthers_ThenSkippedWithAForbiddenErrorEntry()
    {
        var data = await PatientWithObservationsAsync(1);
        using var http = Client("system/Patient.rs");

        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, "/fhir/$export?_type=Patient,Observation"));
        var exported = await manifest.DownloadAllAsync(http);

        Assert.All(exported, r => Assert.IsType<Patient>(r));
        Assert.Contains(exported, r => r.Id == data.Patient.Id);
        var error = Assert.Single(manifest.Error);
        var outcome = Assert.IsType<OperationOutcome>(Assert.Single(await BulkExport.DownloadAsync(http, error.Url)));
        Assert.Equal(OperationOutcome.IssueType.Forbidden, outcome.Issue[0].Code);
        Assert.Equal(["_type"], outcome.Issue[0].Expression);
        Assert.Contains("Observation", outcome.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ConfidentialityLabelTests.Hidden), MemberType = typeof(ConfidentialityLabelTests))]
    public async Task GivenLabelledDocuments_WhenExportedByRole_ThenHiddenOnesAreMissingAsOnSearch(string role, string[] hidden)
    {
        var patient = (await _fhir.CreateAsync(TestData.Patient()))!;
        var ids = new Dictionary<string, string>();
        foreach (var label in new[] { "none", ResourceVisibility.HiddenFromProfessionals, ResourceVisibility.HiddenFromPatient, ResourceVisibility.HiddenFromLegalRepresentatives })
        {
            var document = new DocumentReference
            {
                Status = DocumentReferenceStatus.Current,
                Subject = new ResourceReference($"Patient/{patient.Id}"),
                Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "text/plain", Data = "export"u8.ToArray() } }],
            };
            if (label != "none")
            {
                document.SecurityLabel.Add(new CodeableConcept(ResourceVisibility.VisibilitySystem, label));
            }

            ids[label] = (await _fhir.CreateAsync(document))!.Id;
        }

        using var http = role switch
        {
            "system" => Client("system/*.rs"),
            "professional" => Client("user/*.rs", role: "professional"),
            "patient" => Client("patient/*.rs", patient: patient.Id),
            _ => Client("patient/*.rs", patient: patient.Id, role: "legal-representative"),
        };
        var path = role is "system" or "professional" ? $"/fhir/Group/{(await GroupOfAsync(patient.Id)).Id}/$export" : "/fhir/Patient/$export";

        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, path + "?_type=DocumentReference"));
        var exported = (await manifest.DownloadAllAsync(http)).Select(r => r.Id).ToHashSet();

        Assert.All(ids, p => Assert.Equal(!hidden.Contains(p.Key), exported.Contains(p.Value)));
    }

    private async Task<Group> GroupOfAsync(string patientId) =>
        (await _fhir.CreateAsync(new Group
        {
            Type = Group.GroupType.Person,
            Actual = true,
            Member = [new Group.MemberComponent { Entity = new ResourceReference($"Patient/{patientId}") }],
        }))!;

    [Fact]
    public async Task GivenFinishedExport_WhenAnotherClientPollsOrDownloads_Then404_AndDeleteRemovesTheFiles()
    {
        await PatientWithObservationsAsync(1);
        using var owner = Client("system/*.rs", clientId: "export-owner-e2e");
        using var other = Client("system/*.rs", clientId: "export-thief-e2e");
        using var anonymous = _factory.ClientWith(null);
        var statusUrl = await BulkExport.KickOffAsync(owner, "/fhir/$export?_type=Observation");
        var manifest = await BulkExport.WaitAsync(owner, statusUrl);
        var file = manifest.Output[0].Url;

        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(file)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(statusUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(file)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(file)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await owner.DeleteAsync(statusUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync(file)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync(statusUrl)).StatusCode);
    }

    [Fact]
    public async Task GivenExport_ThenKickOffStatusAndDownloadAreAudited()
    {
        await PatientWithObservationsAsync(1);
        var subject = TestData.Unique("export-auditee");
        using var http = Client("system/*.rs", clientId: "export-audited-e2e", subject: subject);
        var manifest = await BulkExport.WaitAsync(http, await BulkExport.KickOffAsync(http, "/fhir/$export?_type=Observation"));
        await BulkExport.DownloadAsync(http, manifest.Output[0].Url);
        var auditor = _factory.FhirWith(TestTokens.Token("system/AuditEvent.rs", clientId: "auditor-e2e"));

        List<AuditEvent> audits = [];
        await Eventually.UntilAsync(async () =>
        {
            audits = [.. (await auditor.SearchAsync<AuditEvent>([$"altid={subject}", "_count=100"]))!.Entry.Select(e => (AuditEvent)e.Resource)];
            return audits.Select(a => a.Subtype[0].Display).Distinct().Count() >= 3;
        }, "the export's AuditEvents");

        Assert.Contains(audits, a => a.Subtype[0].Display == "$export" && a.Outcome == AuditEvent.AuditEventOutcome.N0);
        Assert.Contains(audits, a => a.Subtype[0].Display == "$export-status");
        Assert.Contains(audits, a => a.Subtype[0].Display == "$export-file");
        Assert.All(audits, a => Assert.Equal("export-audited-e2e", a.Agent.Single(x => x.Requestor == true).Who.Identifier.Value));
    }
}
