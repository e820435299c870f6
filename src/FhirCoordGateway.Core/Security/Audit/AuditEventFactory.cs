using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Builds the AuditEvent of one access: who (client id, subject, fhirUser, role), what (resource references
/// only, never content or query values, which can hold an INS), the interaction and its outcome (the HTTP status).
/// https://hl7.org/fhir/R4/auditevent.html; the RESTful types follow IHE BALP.
/// </summary>
public sealed class AuditEventFactory(TimeProvider clock)
{
    public const string ClientIdSystem = "urn:fhircoord:client-id";
    public const string CorrelationIdSystem = "urn:fhircoord:correlation-id";
    public const string DestinationSystem = "urn:fhircoord:destination";
    public const string TransmissionChannelSystem = "urn:fhircoord:transmission-channel";

    /// <summary>The client id the gateway's own transmissions are recorded under.</summary>
    public const string GatewayAgent = "fhircoord-gateway";
    private const string Interactions = "http://hl7.org/fhir/restful-interaction";

    public AuditEvent Build(AuditRecord record)
    {
        var audit = new AuditEvent
        {
            Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            Subtype = [new Coding(Interactions, Subtype(record.Request), record.Request?.Operation is { } op ? "$" + op : null)],
            Action = Action(record.Request?.Interaction),
            Recorded = clock.GetUtcNow(),
            Outcome = record.Status < 400 ? AuditEvent.AuditEventOutcome.N0 : record.Status < 500 ? AuditEvent.AuditEventOutcome.N4 : AuditEvent.AuditEventOutcome.N8,
            OutcomeDesc = record.Status < 400 ? null : $"HTTP {record.Status}",
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = "FhirCoordGateway" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        audit.Agent.Add(Agent(record.Access));
        foreach (var reference in record.Entities.Distinct())
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(reference),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
            });
        }

        if (record.Access?.Patient is { } patient)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference($"Patient/{patient}"),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        }

        audit.Entity.Add(new AuditEvent.EntityComponent { What = new ResourceReference { Identifier = new Identifier(CorrelationIdSystem, record.CorrelationId) } });
        return audit;
    }

    /// <summary>
    /// The AuditEvent of one transmission attempt the gateway makes on its own (DICOM "Export", as IHE ATNA records
    /// data leaving a system): the gateway is the requesting agent, the destination the other; the entities are
    /// references only (the document version, its delivery Task, the Subscription, the focus versions sent).
    /// </summary>
    public AuditEvent Build(TransmissionRecord record)
    {
        const string dicom = "http://dicom.nema.org/resources/ontology/DCM";
        var audit = new AuditEvent
        {
            Type = new Coding(dicom, "110106", "Export"),
            Subtype = [new Coding(TransmissionChannelSystem, record.Channel)],
            Action = AuditEvent.AuditEventAction.R,
            Recorded = clock.GetUtcNow(),
            Outcome = record.Outcome switch
            {
                TransmissionOutcome.Succeeded => AuditEvent.AuditEventOutcome.N0,
                TransmissionOutcome.WillRetry => AuditEvent.AuditEventOutcome.N4,
                _ => AuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = record.Error,
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = "FhirCoordGateway" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
        };
        audit.Agent.Add(new AuditEvent.AgentComponent
        {
            Requestor = true,
            Who = new ResourceReference { Identifier = new Identifier(ClientIdSystem, GatewayAgent), Display = "FhirCoordGateway" },
            Type = new CodeableConcept(dicom, "110153", "Source Role ID"),
        });
        audit.Agent.Add(new AuditEvent.AgentComponent
        {
            Requestor = false,
            Who = new ResourceReference { Identifier = new Identifier(DestinationSystem, record.Destination) },
            Type = new CodeableConcept(dicom, "110152", "Destination Role ID"),
        });
        foreach (var reference in record.Entities.Distinct())
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(reference),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
            });
        }

        if (record.Patient is { } patient)
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(patient),
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                Role = new Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        }

        return audit;
    }

    private static AuditEvent.AgentComponent Agent(RequestAccess? access)
    {
        var agent = new AuditEvent.AgentComponent { Requestor = true };
        if (access is null)
        {
            agent.Who = new ResourceReference { Display = "unauthenticated" };
            return agent;
        }

        agent.Who = new ResourceReference
        {
            Reference = access.FhirUser is { } user && user.Contains('/', StringComparison.Ordinal) && !user.Contains("://", StringComparison.Ordinal) ? user : null,
            Identifier = new Identifier(ClientIdSystem, access.ClientId ?? "unknown"),
        };
        agent.AltId = access.Subject;
        agent.Role = [new CodeableConcept { Text = access.Role.ToString() }];
        agent.Policy = [.. access.Scopes.Select(s => $"{s.Context.ToString().ToLowerInvariant()}/{s.ResourceType}.{s.Permissions}")];
        return agent;
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

    private static AuditEvent.AuditEventAction Action(FhirInteraction? interaction) => interaction switch
    {
        FhirInteraction.Create => AuditEvent.AuditEventAction.C,
        FhirInteraction.Update or FhirInteraction.Patch => AuditEvent.AuditEventAction.U,
        FhirInteraction.Delete => AuditEvent.AuditEventAction.D,
        FhirInteraction.Read or FhirInteraction.VRead or FhirInteraction.HistoryInstance or FhirInteraction.HistoryType
            or FhirInteraction.HistorySystem or FhirInteraction.SearchType or FhirInteraction.SearchSystem => AuditEvent.AuditEventAction.R,
        _ => AuditEvent.AuditEventAction.E,
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
