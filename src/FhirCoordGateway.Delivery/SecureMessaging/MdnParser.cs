using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using MimeKit;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// Reads an MSSanté acknowledgement: an RFC 8098 MDN, <c>multipart/report; report-type=disposition-notification</c>
/// whose <c>message/disposition-notification</c> part carries <c>Original-Message-ID</c> (our delivery's Message-ID)
/// and <c>Disposition: automatic-action/MDN-sent-automatically; processed</c>, or
/// <c>processed/Error: 902^Identifiant de patient inconnu^…</c> on failure (codes 900–906).
/// https://www.rfc-editor.org/rfc/rfc8098 ; ansforge/IG-hl7v2-volet-trans-lps-doc-cda-courriel-mss (struct-msg-mdn, error-codes).
/// Rejection reasons never quote the message, which may carry patient data.
/// </summary>
public sealed class MdnParser(IOptions<SecureMessagingOptions> options)
{
    private readonly string _messageIdDomain = options.Value.MessageIdDomain;

    /// <summary>Parses a raw message (message/rfc822 bytes).</summary>
    public bool TryParse(Stream rawMessage, [NotNullWhen(true)] out Acknowledgement? acknowledgement, [NotNullWhen(false)] out string? rejection)
    {
        MimeMessage message;
        try
        {
            message = MimeMessage.Load(rawMessage);
        }
        catch (FormatException)
        {
            acknowledgement = null;
            rejection = "The body is not an RFC 5322 message.";
            return false;
        }
        return TryParse(message, out acknowledgement, out rejection);
    }

    public bool TryParse(MimeMessage message, [NotNullWhen(true)] out Acknowledgement? acknowledgement, [NotNullWhen(false)] out string? rejection)
    {
        acknowledgement = null;
        var report = message.Body as MultipartReport;
        if (report is null || !string.Equals(report.ReportType, "disposition-notification", StringComparison.OrdinalIgnoreCase))
        {
            rejection = "The message is not a multipart/report with report-type=disposition-notification.";
            return false;
        }
        var notification = report.OfType<MessageDispositionNotification>().FirstOrDefault();
        if (notification is null)
        {
            rejection = "The report has no message/disposition-notification part.";
            return false;
        }
        var fields = notification.Fields;
        // Original-Message-ID is a SHOULD in RFC 8098; MDN generators also put it in In-Reply-To.
        var originalMessageId = fields["Original-Message-ID"] ?? message.InReplyTo;
        if (!DeliveryMessageId.TryParse(originalMessageId, _messageIdDomain, out var deliveryId))
        {
            rejection = "The MDN's Original-Message-ID is not a delivery Message-ID of this gateway.";
            return false;
        }
        if (!Disposition.TryParse(fields["Disposition"], fields["Error"], out var disposition))
        {
            rejection = "The MDN has no valid Disposition field.";
            return false;
        }
        acknowledgement = new Acknowledgement(deliveryId, disposition.Processed, disposition.ErrorCode, disposition.ErrorLabel);
        rejection = null;
        return true;
    }

    /// <summary>
    /// RFC 8098 §3.2.6: <c>action-mode/sending-mode; disposition-type[/modifier, …]</c>. MSSanté writes the error as
    /// the modifier <c>Error: code^label^…</c>; RFC 8098 generators write the modifier <c>error</c> and an <c>Error</c> field.
    /// </summary>
    private sealed record Disposition(bool Processed, string? ErrorCode, string? ErrorLabel)
    {
        private static readonly string[] Types = ["displayed", "deleted", "dispatched", "processed"];

        public static bool TryParse(string? value, string? errorField, [NotNullWhen(true)] out Disposition? disposition)
        {
            disposition = null;
            var semicolon = value?.IndexOf(';') ?? -1;
            if (value is null || semicolon < 0) return false;
            var typeAndModifiers = value[(semicolon + 1)..].Trim();
            var slash = typeAndModifiers.IndexOf('/');
            var type = (slash < 0 ? typeAndModifiers : typeAndModifiers[..slash]).Trim();
            if (!Types.Contains(type, StringComparer.OrdinalIgnoreCase)) return false;
            var modifier = slash < 0 ? "" : typeAndModifiers[(slash + 1)..].Trim();
            if (modifier.StartsWith("error", StringComparison.OrdinalIgnoreCase))
            {
                var detail = modifier["error".Length..].TrimStart().TrimStart(':').Trim();
                var (code, label) = SplitError(detail.Length > 0 ? detail : errorField?.Trim() ?? "");
                disposition = new Disposition(false, code, label);
            }
            else if (string.Equals(type, "deleted", StringComparison.OrdinalIgnoreCase))
                disposition = new Disposition(false, null, "deleted");
            else
                disposition = new Disposition(true, null, null);
            return true;
        }

        /// <summary><c>902^Identifiant de patient inconnu^messageErrorCondition| E^Error^errorSeverity</c> → 902, its label.</summary>
        private static (string? Code, string? Label) SplitError(string detail)
        {
            if (detail.Length == 0) return (null, null);
            var parts = detail.Split('^');
            return parts.Length == 1 ? (null, parts[0].Trim()) : (parts[0].Trim(), parts[1].Trim());
        }
    }
}
