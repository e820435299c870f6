using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FhirCoordGateway.Core.Security.Audit;

/// <summary>
/// Writes one AuditEvent's JSON as the audit trail stores it (no id, no meta), element by element in the order
/// https://hl7.org/fhir/R4/auditevent.html lists them; <see cref="AuditEventFactory"/> says what goes in.
/// </summary>
internal sealed class AuditEventJson
{
    // As the SDK's serialiser escapes: only what JSON requires, so that the text is the SDK's for the same AuditEvent.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public AuditEventJson()
    {
        _json = new Utf8JsonWriter(_buffer, Options);
        _json.WriteStartObject();
        _json.WriteString("resourceType", "AuditEvent");
    }

    public void StartArray(string name) => _json.WriteStartArray(name);

    public void EndArray() => _json.WriteEndArray();

    /// <summary>A Coding (a property when <paramref name="name"/> is given, else an array item); returns <c>system|code</c>.</summary>
    public string Coding(string? name, string system, string code, string? display)
    {
        if (name is null)
        {
            _json.WriteStartObject();
        }
        else
        {
            _json.WriteStartObject(name);
        }

        _json.WriteString("system", system);
        _json.WriteString("code", code);
        WriteIfPresent("display", display);
        _json.WriteEndObject();
        return $"{system}|{code}";
    }

    /// <summary>action, recorded (as the SDK writes an instant) and outcome.</summary>
    public void Header(string action, DateTimeOffset recorded, string outcome, string? outcomeDescription)
    {
        _json.WriteString("action", action);
        _json.WriteString("recorded", recorded.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture));
        _json.WriteString("outcome", outcome);
        WriteIfPresent("outcomeDesc", outcomeDescription);
    }

    /// <summary>The requesting agent of a request: role as text, who (reference, identifier or display), altId, policies.</summary>
    public void Agent(string? role, string? reference, (string System, string Value)? identifier, string? display, string? altId, IReadOnlyList<string> policies)
    {
        _json.WriteStartObject();
        if (role is not null)
        {
            _json.WriteStartArray("role");
            _json.WriteStartObject();
            _json.WriteString("text", role);
            _json.WriteEndObject();
            _json.WriteEndArray();
        }

        Reference("who", reference, identifier, display);
        WriteIfPresent("altId", altId);
        _json.WriteBoolean("requestor", true);
        if (policies.Count > 0)
        {
            _json.WriteStartArray("policy");
            foreach (var policy in policies)
            {
                _json.WriteStringValue(policy);
            }

            _json.WriteEndArray();
        }

        _json.WriteEndObject();
    }

    /// <summary>An agent of a transmission: its DICOM role as type, who by identifier.</summary>
    public void TransmissionAgent(string typeSystem, string typeCode, string typeDisplay, string system, string value, string? display, bool requestor)
    {
        _json.WriteStartObject();
        _json.WriteStartObject("type");
        _json.WriteStartArray("coding");
        Coding(null, typeSystem, typeCode, typeDisplay);
        _json.WriteEndArray();
        _json.WriteEndObject();
        Reference("who", null, (system, value), display);
        _json.WriteBoolean("requestor", requestor);
        _json.WriteEndObject();
    }

    public void Source(string observer, string typeSystem, string typeCode, string typeDisplay)
    {
        _json.WriteStartObject("source");
        Reference("observer", null, null, observer);
        _json.WriteStartArray("type");
        Coding(null, typeSystem, typeCode, typeDisplay);
        _json.WriteEndArray();
        _json.WriteEndObject();
    }

    /// <summary>Each distinct reference as a System Object entity (audit-entity-type 2); returns them.</summary>
    public IReadOnlyList<string> SystemObjects(IEnumerable<string> references)
    {
        var distinct = references.Distinct().ToList();
        foreach (var reference in distinct)
        {
            _json.WriteStartObject();
            Reference("what", reference, null, null);
            Coding("type", "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
            _json.WriteEndObject();
        }

        return distinct;
    }

    /// <summary>The patient concerned: a Person entity in the Patient role.</summary>
    public void PatientEntity(string reference)
    {
        _json.WriteStartObject();
        Reference("what", reference, null, null);
        Coding("type", "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
        Coding("role", "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
        _json.WriteEndObject();
    }

    /// <summary>The request's correlation id, an entity by identifier (it ties the AuditEvent to the logs).</summary>
    public void CorrelationEntity(string correlationId)
    {
        _json.WriteStartObject();
        Reference("what", null, (AuditEventFactory.CorrelationIdSystem, correlationId), null);
        _json.WriteEndObject();
    }

    public string Finish()
    {
        _json.WriteEndObject();
        _json.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    private void Reference(string name, string? reference, (string System, string Value)? identifier, string? display)
    {
        _json.WriteStartObject(name);
        WriteIfPresent("reference", reference);
        if (identifier is { } id)
        {
            _json.WriteStartObject("identifier");
            _json.WriteString("system", id.System);
            _json.WriteString("value", id.Value);
            _json.WriteEndObject();
        }

        WriteIfPresent("display", display);
        _json.WriteEndObject();
    }

    // As the SDK: an empty string is no value (FHIR forbids empty strings).
    private void WriteIfPresent(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _json.WriteString(name, value);
        }
    }
}
