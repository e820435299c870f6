using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using Hl7.Fhir.Model;
using FhirCoordGateway.Core.Tests.Support;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Core.Tests.Security;

/// <summary>
/// The AuditEvents the factory writes by hand (without the SDK's POCOs) are valid FHIR AuditEvents: the SDK parses
/// them strictly and serialises them back to the same text, so nothing is misplaced, misnamed or unknown; their
/// elements say what the record says; and the trail's search columns are taken from the same elements.
/// </summary>
public sealed class AuditEventFactoryTests
{
    private static readonly DateTimeOffset Now = new DateTimeOffset(2026, 11, 23, 4, 30, 12, 345, TimeSpan.Zero).AddTicks(6789);
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private readonly AuditEventFactory _factory = new(new FixedTimeProvider(Now));

    private static AuditEvent Canonical(AuditEntry entry)
    {
        var audit = Strict.Deserialize<AuditEvent>(entry.Json);
        Assert.Equal(FhirJsonSerializer.Default.SerializeToString(audit), entry.Json);
        Assert.StartsWith(AuditEntry.JsonStart, entry.Json, StringComparison.Ordinal);
        Assert.Null(audit.Id);
        Assert.Null(audit.Meta);
        return audit;
    }

    [Fact]
    public void GivenAProfessionalsRead_ThenTheAuditEventNamesTheCallerTheVersionReadAndTheLaunchPatient()
    {
        var access = new RequestAccess(SmartScope.Parse("patient/*.rs user/Patient.r"), "pat-1", CallerRole.Professional, "lgc-1", "sub-é\"<1>", "Practitioner/prat-9", isAdmin: false);
        var entry = _factory.Build(new AuditRecord(access, new FhirRequestContext(FhirInteraction.Read, "Patient", "pat-1"), 200, ["Patient/pat-1/_history/3", "Patient/pat-1/_history/3"], "corr-1"));

        var audit = Canonical(entry);
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"), (audit.Type!.System, audit.Type!.Code, audit.Type!.Display));
        Assert.Equal("read", Assert.Single(audit.Subtype).Code);
        Assert.Null(audit.Subtype[0].Display);
        Assert.Equal(AuditEvent.AuditEventAction.R, audit.Action);
        Assert.Equal(Now, audit.Recorded);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, audit.Outcome);
        Assert.Null(audit.OutcomeDesc);

        var agent = Assert.Single(audit.Agent);
        Assert.True(agent.Requestor);
        Assert.Equal("Practitioner/prat-9", agent.Who!.Reference);
        Assert.Equal((AuditEventFactory.ClientIdSystem, "lgc-1"), (agent.Who!.Identifier!.System, agent.Who!.Identifier!.Value));
        Assert.Equal("sub-é\"<1>", agent.AltId);
        Assert.Equal("Professional", Assert.Single(agent.Role).Text);
        Assert.Equal(["patient/*.Read, Search", "user/Patient.Read"], agent.Policy);
        Assert.Equal("FhirCoordGateway", audit.Source.Observer!.Display);
        Assert.Equal("4", Assert.Single(audit.Source!.Type).Code);

        // The version read (once), the launch patient as the Patient entity, the correlation id.
        Assert.Equal(3, audit.Entity.Count);
        Assert.Equal(("Patient/pat-1/_history/3", "2"), (audit.Entity[0].What!.Reference, audit.Entity[0].Type!.Code));
        Assert.Equal(("Patient/pat-1", "1", "1"), (audit.Entity[1].What!.Reference, audit.Entity[1].Type!.Code, audit.Entity[1].Role!.Code));
        Assert.Equal((AuditEventFactory.CorrelationIdSystem, "corr-1"), (audit.Entity[2].What!.Identifier!.System, audit.Entity[2].What!.Identifier!.Value));

        Assert.Equal(Now, entry.Recorded);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/audit-event-type|rest", entry.Type);
        Assert.Equal(["http://hl7.org/fhir/restful-interaction|read"], entry.Subtypes);
        Assert.Equal(("R", "0"), (entry.Action, entry.Outcome));
        Assert.Equal(
            ["entity:Patient/pat-1", "agent:Practitioner/prat-9", "altid:sub-é\"<1>", "patient:Patient/pat-1"],
            entry.Keys);
    }

    [Theory]
    [InlineData(FhirInteraction.Create, 201, "create", "C", "0")]
    [InlineData(FhirInteraction.Patch, 422, "patch", "U", "4")]
    [InlineData(FhirInteraction.Delete, 403, "delete", "D", "4")]
    [InlineData(FhirInteraction.SearchType, 500, "search-type", "R", "8")]
    [InlineData(FhirInteraction.Transaction, 200, "transaction", "E", "0")]
    public void GivenAnInteractionAndItsStatus_ThenSubtypeActionAndOutcomeFollow(FhirInteraction interaction, int status, string subtype, string action, string outcome)
    {
        var access = new RequestAccess(SmartScope.Parse("system/*.cruds"), null, CallerRole.System, "backend", null, null, isAdmin: false);
        var entry = _factory.Build(new AuditRecord(access, new FhirRequestContext(interaction, "Observation", null), status, [], "corr-2"));

        var audit = Canonical(entry);
        Assert.Equal(subtype, audit.Subtype[0].Code);
        Assert.Equal((action, outcome), (entry.Action, entry.Outcome));
        Assert.Equal(status < 400 ? null : $"HTTP {status}", audit.OutcomeDesc);
        Assert.Null(audit.Agent[0].Who!.Reference);
        Assert.Null(audit.Agent[0].AltId);
        Assert.Empty(entry.Keys);
    }

    [Fact]
    public void GivenAnUnauthenticatedOperation_ThenTheAgentIsUnauthenticatedAndTheOperationIsNamed()
    {
        var entry = _factory.Build(new AuditRecord(null, new FhirRequestContext(FhirInteraction.Operation, "Patient", "p-2", "everything"), 401, ["Patient/p-2"], "corr-3"));

        var audit = Canonical(entry);
        Assert.Equal(("operation", "$everything"), (audit.Subtype[0].Code, audit.Subtype[0].Display));
        Assert.Equal("unauthenticated", audit.Agent[0].Who!.Display);
        Assert.Null(audit.Agent[0].Who!.Identifier);
        Assert.Empty(audit.Agent[0].Policy);
        Assert.Equal("HTTP 401", audit.OutcomeDesc);
        Assert.Equal(["entity:Patient/p-2", "patient:Patient/p-2"], entry.Keys);
    }

    [Fact]
    public void GivenAPatientsOwnRead_ThenTheAgentIsAlsoAPatientKey()
    {
        var access = new RequestAccess(SmartScope.Parse("patient/Patient.r"), "p-3", CallerRole.Patient, "portal", "p-3-sub", "Patient/p-3", isAdmin: false);
        var entry = _factory.Build(new AuditRecord(access, null, 200, [], "corr-4"));

        var audit = Canonical(entry);
        Assert.Equal("unknown", audit.Subtype[0].Code);
        Assert.Equal(AuditEvent.AuditEventAction.E, audit.Action);
        Assert.Equal(["entity:Patient/p-3", "agent:Patient/p-3", "altid:p-3-sub", "patient:Patient/p-3"], entry.Keys);
    }

    [Theory]
    [InlineData(TransmissionOutcome.Succeeded, null, "0")]
    [InlineData(TransmissionOutcome.WillRetry, "HTTP 503 de l'entrepôt \"DMP\"", "4")]
    [InlineData(TransmissionOutcome.Failed, "550 boîte inconnue", "8")]
    public void GivenATransmission_ThenTheGatewaySendsToTheDestinationWhatWasSent(TransmissionOutcome outcome, string? error, string code)
    {
        var entry = _factory.Build(new TransmissionRecord(
            "shared-record", "https://dmp.example/fhir", ["DocumentReference/d-1/_history/2", "Task/t-1", "Task/t-1"], "Patient/p-4", outcome, error));

        var audit = Canonical(entry);
        Assert.Equal(("http://dicom.nema.org/resources/ontology/DCM", "110106", "Export"), (audit.Type!.System, audit.Type!.Code, audit.Type!.Display));
        Assert.Equal((AuditEventFactory.TransmissionChannelSystem, "shared-record"), (audit.Subtype[0].System, audit.Subtype[0].Code));
        Assert.Equal(AuditEvent.AuditEventAction.R, audit.Action);
        Assert.Equal(error, audit.OutcomeDesc);
        Assert.Equal(code, entry.Outcome);

        Assert.Equal(2, audit.Agent.Count);
        Assert.Equal((true, "110153", AuditEventFactory.GatewayAgent, "FhirCoordGateway"), (audit.Agent[0].Requestor, audit.Agent[0].Type!.Coding[0].Code, audit.Agent[0].Who!.Identifier!.Value, audit.Agent[0].Who!.Display));
        Assert.Equal((false, "110152", AuditEventFactory.DestinationSystem, "https://dmp.example/fhir"), (audit.Agent[1].Requestor, audit.Agent[1].Type!.Coding[0].Code, audit.Agent[1].Who!.Identifier!.System, audit.Agent[1].Who!.Identifier!.Value));

        Assert.Equal(["DocumentReference/d-1/_history/2", "Task/t-1", "Patient/p-4"], audit.Entity.Select(e => e.What!.Reference));
        Assert.Equal("Patient", audit.Entity[2].Role!.Display);
        Assert.Equal(["entity:DocumentReference/d-1", "entity:Task/t-1", "entity:Patient/p-4", "patient:Patient/p-4"], entry.Keys);
    }
}
