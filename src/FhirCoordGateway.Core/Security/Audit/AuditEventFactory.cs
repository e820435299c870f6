namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Builds the AuditEvent of one access: who (client id, subject, fhirUser, role), what (resource references
/// only, never content or query values, which can hold an INS), the interaction and its outcome (the HTTP status).
/// https://hl7.org/fhir/R4/auditevent.html; the RESTful types follow IHE BALP.
/// </summary>
// Why JSON written by hand rather than an SDK AuditEvent serialised: every request builds one, and the POCOs cost a
// secured read a quarter of its throughput (docs/BENCHMARKS.md, Security): their own work, and the runtime's, which
// kept re-tiering the SDK's virtual methods. The JSON is what the SDK's serialiser writes for the same AuditEvent
// (elements in the specification's order; AuditEventFactoryTests checks it against a parse and re-serialisation).
public sealed class AuditEventFactory(TimeProvider clock)
{
    public const string ClientIdSystem = "urn:fhircoord:client-id";
    public const string CorrelationIdSystem = "urn:fhircoord:correlation-id";
    public const string DestinationSystem = "urn:fhircoord:destination";
    public const string TransmissionChannelSystem = "urn:fhircoord:transmission-channel";

    /// <summary>The client id the gateway's own transmissions are recorded under.</summary>
    public const string GatewayAgent = "fhircoord-gateway";
    private const string Interactions = "http://hl7.org/fhir/restful-interaction";
    private const string Dicom = "http://dicom.nema.org/resources/ontology/DCM";

    public AuditEntry Build(AuditRecord record)
    {
        var json = new AuditEventJson();
        var type = json.Coding("type", "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation");
        json.StartArray("subtype");
        var subtype = json.Coding(null, Interactions, Subtype(record.Request), record.Request?.Operation is { } op ? "$" + op : null);
        json.EndArray();
        var action = Action(record.Request?.Interaction);
        var outcome = record.Status < 400 ? "0" : record.Status < 500 ? "4" : "8";
        var recorded = clock.GetUtcNow();
        json.Header(action, recorded, outcome, record.Status < 400 ? null : $"HTTP {record.Status}");

        json.StartArray("agent");
        var agent = Agent(json, record.Access);
        json.EndArray();
        Source(json);

        json.StartArray("entity");
        var entities = json.SystemObjects(record.Entities);

        var patient = record.Access?.Patient is { } id ? $"Patient/{id}" : null;
        if (patient is not null)
        {
            json.PatientEntity(patient);
        }

        json.CorrelationEntity(record.CorrelationId);
        json.EndArray();
        return new AuditEntry(
            recorded, type, [subtype], action, outcome,
            AuditEntry.KeysOf([.. entities, .. patient is null ? [] : new[] { patient }], agent.Reference is { } who ? [who] : [], agent.AltId is { } altId ? [altId] : []),
            json.Finish());
    }

    /// <summary>
    /// The AuditEvent of one transmission attempt the gateway makes on its own (DICOM "Export", as IHE ATNA records
    /// data leaving a system): the gateway is the requesting agent, the destination the other; the entities are
    /// references only (the document version, its delivery Task, the Subscription, the focus versions sent).
    /// </summary>
    public AuditEntry Build(TransmissionRecord record)
    {
        var json = new AuditEventJson();
        var type = json.Coding("type", Dicom, "110106", "Export");
        json.StartArray("subtype");
        var subtype = json.Coding(null, TransmissionChannelSystem, record.Channel, null);
        json.EndArray();
        var outcome = record.Outcome switch
        {
            TransmissionOutcome.Succeeded => "0",
            TransmissionOutcome.WillRetry => "4",
            _ => "8",
        };
        var recorded = clock.GetUtcNow();
        json.Header("R", recorded, outcome, record.Error);

        json.StartArray("agent");
        json.TransmissionAgent(Dicom, "110153", "Source Role ID", ClientIdSystem, GatewayAgent, "FhirCoordGateway", requestor: true);
        json.TransmissionAgent(Dicom, "110152", "Destination Role ID", DestinationSystem, record.Destination, null, requestor: false);
        json.EndArray();
        Source(json);

        json.StartArray("entity");
        var entities = json.SystemObjects(record.Entities);

        if (record.Patient is { } patient)
        {
            json.PatientEntity(patient);
        }

        json.EndArray();
        return new AuditEntry(
            recorded, type, [subtype], "R", outcome,
            AuditEntry.KeysOf([.. entities, .. record.Patient is { } p ? new[] { p } : []], [], []),
            json.Finish());
    }

    private static void Source(AuditEventJson json) =>
        json.Source("FhirCoordGateway", "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server");

    /// <summary>The requesting agent; its reference (a relative fhirUser) and altId (the token's subject) are search keys.</summary>
    private static (string? Reference, string? AltId) Agent(AuditEventJson json, RequestAccess? access)
    {
        if (access is null)
        {
            json.Agent(role: null, reference: null, identifier: null, display: "unauthenticated", altId: null, policies: []);
            return (null, null);
        }

        var reference = access.FhirUser is { } user && user.Contains('/', StringComparison.Ordinal) && !user.Contains("://", StringComparison.Ordinal) ? user : null;
        json.Agent(
            access.Role.ToString(), reference, (ClientIdSystem, access.ClientId ?? "unknown"), display: null, access.Subject,
            [.. access.Scopes.Select(s => $"{s.Context.ToString().ToLowerInvariant()}/{s.ResourceType}.{s.Permissions}")]);
        return (reference, access.Subject);
    }

    private static string Subtype(FhirRequestContext? request) => request?.Interaction switch
    {
        null => "unknown",
        FhirInteraction.Read => "read",
        FhirInteraction.VRead => "vread",
        FhirInteraction.Create => "create",
        FhirInteraction.Update => "update",
        FhirInteraction.Patch => "patch",
        FhirInteraction.Delete => "delete",
        FhirInteraction.HistoryInstance => "history-instance",
        FhirInteraction.HistoryType => "history-type",
        FhirInteraction.HistorySystem => "history-system",
        FhirInteraction.SearchType => "search-type",
        FhirInteraction.SearchSystem => "search-system",
        FhirInteraction.Batch => "batch",
        FhirInteraction.Transaction => "transaction",
        FhirInteraction.Capabilities => "capabilities",
        _ => "operation",
    };

    /// <summary>The AuditEvent.action code (http://hl7.org/fhir/audit-event-action).</summary>
    private static string Action(FhirInteraction? interaction) => interaction switch
    {
        FhirInteraction.Create => "C",
        FhirInteraction.Update or FhirInteraction.Patch => "U",
        FhirInteraction.Delete => "D",
        FhirInteraction.Read or FhirInteraction.VRead or FhirInteraction.HistoryInstance or FhirInteraction.HistoryType
            or FhirInteraction.HistorySystem or FhirInteraction.SearchType or FhirInteraction.SearchSystem => "R",
        _ => "E",
    };
}

/// <summary>One access to record: the caller (null when unauthenticated), the request, its status and the resources it touched.</summary>
public sealed record AuditRecord(RequestAccess? Access, FhirRequestContext? Request, int Status, IReadOnlyList<string> Entities, string CorrelationId);

/// <summary>How a transmission attempt ended: delivered, failed but retried later, or failed for good.</summary>
public enum TransmissionOutcome
{
    Succeeded,
    WillRetry,
    Failed,
}

/// <summary>
/// One attempt by the gateway to send something out: the channel (<c>shared-record</c>, <c>secure-messaging</c>,
/// <c>rest-hook</c>), where to (an endpoint without its query, or a mailbox), the references sent (never bodies), the
/// patient concerned when known, and how it ended (<paramref name="Error"/>: the recorded failure, ids only).
/// </summary>
public sealed record TransmissionRecord(
    string Channel, string Destination, IReadOnlyList<string> Entities, string? Patient, TransmissionOutcome Outcome, string? Error)
{
    /// <summary>An endpoint as audited: scheme, host, port and path, never the query (it may carry a key).</summary>
    public static string EndpointOf(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Path);
}
