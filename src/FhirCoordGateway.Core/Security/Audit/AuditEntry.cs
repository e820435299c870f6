using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// One AuditEvent as the audit trail stores it (ADR 0016): its JSON without id and meta (the store numbers it and
/// adds both when serving it), and the values its searches filter on, read from the AuditEvent's own elements.
/// </summary>
/// <param name="Type"><c>system|code</c> of <c>type</c>.</param>
/// <param name="Subtypes"><c>system|code</c> of each <c>subtype</c>.</param>
/// <param name="Keys">
/// The values of the reference and identifier parameters, prefixed by the parameter: <c>entity:Type/id</c>,
/// <c>agent:Type/id</c>, <c>patient:Patient/id</c> (an entity or agent that is a Patient) and <c>altid:value</c>.
/// </param>
public sealed record AuditEntry(
    DateTimeOffset Recorded, string Type, IReadOnlyList<string> Subtypes, string? Action, string? Outcome, IReadOnlyList<string> Keys, string Json)
{
    public const string JsonStart = "{\"resourceType\":\"AuditEvent\",";

    public static AuditEntry Of(AuditEvent audit)
    {
        if (audit.Id is not null || audit.Meta is not null)
        {
            throw new ArgumentException("An AuditEvent gets its id and meta from the audit trail.", nameof(audit));
        }

        var entities = audit.Entity.Select(e => e.What?.Reference).OfType<string>().Select(r => "entity:" + Unversioned(r));
        var agents = audit.Agent.Select(a => a.Who?.Reference).OfType<string>().Select(r => "agent:" + Unversioned(r));
        var altIds = audit.Agent.Select(a => a.AltId).OfType<string>().Select(a => "altid:" + a);
        List<string> keys = [.. entities, .. agents, .. altIds];
        keys.AddRange(keys.Where(IsPatient).Select(k => "patient:" + k[(k.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToList());
        return new AuditEntry(
            audit.Recorded ?? throw new ArgumentException("An AuditEvent has a recorded time.", nameof(audit)),
            Token(audit.Type),
            [.. audit.Subtype.Select(Token)],
            audit.Action?.GetLiteral(),
            audit.Outcome?.GetLiteral(),
            [.. keys.Distinct(StringComparer.Ordinal)],
            ResourceJson.Serialize(audit));
    }

    /// <summary>A reference searched as FHIR searches references: <c>Patient/1/_history/2</c> is found by <c>Patient/1</c>.</summary>
    private static string Unversioned(string reference) =>
        reference.IndexOf("/_history/", StringComparison.Ordinal) is var at and >= 0 ? reference[..at] : reference;

    private static bool IsPatient(string key) =>
        key.StartsWith("entity:Patient/", StringComparison.Ordinal) || key.StartsWith("agent:Patient/", StringComparison.Ordinal);

    private static string Token(Coding? coding) => $"{coding?.System}|{coding?.Code}";
}
