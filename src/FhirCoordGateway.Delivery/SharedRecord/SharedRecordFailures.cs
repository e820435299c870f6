using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// The one table of what a shared-record failure means: 5xx, 408 and 429 can succeed later (transient); any
/// other 4xx will fail again the same way (permanent). The message carries the status and the peer's
/// OperationOutcome text, never the document or patient data we sent.
/// </summary>
internal static class SharedRecordFailures
{
    private const int MaxOutcomeText = 400;
    private static readonly FhirJsonDeserializer Reader = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    public static bool IsTransient(int status) => status is >= 500 or 408 or 429;

    public static DeliveryFailedException FromStatus(string interaction, HttpStatusCode status, string body) =>
        new($"The shared record refused {interaction} with {(int)status} {status}{OutcomeText(body)}", IsTransient((int)status));

    /// <summary>Throws for the first entry of a transaction-response whose status is not 2xx.</summary>
    public static void ThrowOnFailedEntry(Bundle response)
    {
        for (var i = 0; i < response.Entry.Count; i++)
        {
            var entry = response.Entry[i].Response;
            var code = StatusCode(entry?.Status);
            if (code is >= 200 and <= 299) continue;
            var outcome = entry?.Outcome as OperationOutcome;
            throw new DeliveryFailedException(
                $"The shared record's transaction-response entry {i} has status {entry?.Status ?? "(none)"}{(outcome is null ? "" : ": " + Text(outcome))}",
                code is { } c && IsTransient(c));
        }
    }

    /// <summary>"201 Created" → 201.</summary>
    private static int? StatusCode(string? status) =>
        status is { Length: >= 3 } && int.TryParse(status.AsSpan(0, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? code : null;

    private static string OutcomeText(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return "";
        try
        {
            return Reader.DeserializeResource(body) is OperationOutcome outcome ? ": " + Text(outcome) : "";
        }
        catch (Exception e) when (e is DeserializationFailedException or System.Text.Json.JsonException)
        {
            return "";
        }
    }

    private static string Text(OperationOutcome outcome)
    {
        var text = string.Join("; ", outcome.Issue.Select(i =>
            $"{i.Code?.GetLiteral()} {i.Details?.Text ?? i.Details?.Coding.FirstOrDefault()?.Code ?? i.Diagnostics}".Trim()));
        return text.Length <= MaxOutcomeText ? text : text[..MaxOutcomeText] + "…";
    }
}
