using System.Globalization;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Core.Storage;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Audit;

/// <summary>
/// The audit trail's table (migration 0009, docs/adr/0016): appends and reads by id. An AuditEvent's id is its
/// sequence number and it has one version, recorded when it was appended.
/// </summary>
internal static class AuditSql
{
    /// <summary>Separates the elements of an array sent as one text (arrays of arrays cannot be unnested row by row).</summary>
    private const char Separator = '\u001f';

    /// <summary>Every entry in one statement: a read's AuditEvent costs one row and its few index keys.</summary>
    public static NpgsqlCommand InsertCommand(NpgsqlConnection connection, IReadOnlyList<AuditEntry> entries) => Sql.Command(
        connection,
        """
        INSERT INTO audit_event (recorded, type, subtypes, action, outcome, refs, body)
        SELECT recorded, type, string_to_array(subtypes, chr(31)), action, outcome, string_to_array(refs, chr(31)), body
        FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
            AS e(recorded, type, subtypes, action, outcome, refs, body)
        """,
        entries.Select(e => e.Recorded.UtcDateTime).ToArray(),
        entries.Select(e => (string?)e.Type).ToArray(),
        entries.Select(e => (string?)Joined(e.Subtypes)).ToArray(),
        entries.Select(e => e.Action).ToArray(),
        entries.Select(e => e.Outcome).ToArray(),
        entries.Select(e => (string?)Joined(e.Keys)).ToArray(),
        entries.Select(e => (string?)e.Json).ToArray());

    public static async Task<StoredResource?> ReadAsync(NpgsqlConnection connection, string id, CancellationToken ct)
    {
        if (Seq(id) is not { } seq)
        {
            return null;
        }

        await using var cmd = Sql.Command(connection, "SELECT seq, recorded, body FROM audit_event WHERE seq = $1", seq);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader, 0) : null;
    }

    /// <summary>The AuditEvent of the row whose seq, recorded and body columns start at <paramref name="first"/>.</summary>
    public static StoredResource Read(NpgsqlDataReader reader, int first)
    {
        var id = reader.GetInt64(first).ToString(CultureInfo.InvariantCulture);
        var recorded = Sql.ReadTimestamp(reader, first + 1);
        var body = reader.GetString(first + 2);
        var json = $"{AuditEntry.JsonStart}\"id\":\"{id}\",\"meta\":{{\"versionId\":\"1\",\"lastUpdated\":\"{recorded.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\"}},"
            + body[AuditEntry.JsonStart.Length..];
        return new StoredResource(AuditTrail.ResourceType, id, 1, recorded, Deleted: false, json);
    }

    /// <summary>The sequence number an AuditEvent id stands for, or null when it cannot be one.</summary>
    public static long? Seq(string id) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0 ? seq : null;

    private static string Joined(IReadOnlyList<string> values) => string.Join(Separator, values.Select(v => v.Replace(Separator, ' ')));
}
