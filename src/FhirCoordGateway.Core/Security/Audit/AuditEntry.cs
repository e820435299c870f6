namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// One AuditEvent as the audit trail stores it (ADR 0016): its JSON without id and meta (the store numbers it and
/// adds both when serving it), and the values its searches filter on, taken from the elements written in the JSON.
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

    /// <summary>
    /// The search keys of an AuditEvent's entity references, agent references and agent altIds; a Patient among the
    /// entities or agents is also a <c>patient:</c> key.
    /// </summary>
    public static IReadOnlyList<string> KeysOf(IEnumerable<string> entities, IEnumerable<string> agents, IEnumerable<string> altIds)
    {
        List<string> keys = [.. entities.Select(r => "entity:" + Unversioned(r)), .. agents.Select(r => "agent:" + Unversioned(r)), .. altIds.Select(a => "altid:" + a)];
        keys.AddRange(keys.Where(IsPatient).Select(k => "patient:" + k[(k.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToList());
        return [.. keys.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>A reference searched as FHIR searches references: <c>Patient/1/_history/2</c> is found by <c>Patient/1</c>.</summary>
    private static string Unversioned(string reference) =>
        reference.IndexOf("/_history/", StringComparison.Ordinal) is var at and >= 0 ? reference[..at] : reference;

    private static bool IsPatient(string key) =>
        key.StartsWith("entity:Patient/", StringComparison.Ordinal) || key.StartsWith("agent:Patient/", StringComparison.Ordinal);
}
