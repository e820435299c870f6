using System.Globalization;
using Microsoft.Extensions.Options;
using MimeKit;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// Composes the MSSanté message for one delivery: multipart/mixed with a text body, the human-readable
/// document and the IHE_XDM.ZIP; the subject <c>XDM/1.0/DDM+&lt;libellé&gt; &lt;NOM&gt; &lt;prénom&gt; &lt;date de naissance&gt;</c>
/// and the X-MSS-* headers of the Référentiel socle MSSanté #2 (§3.8); Disposition-Notification-To so the
/// recipient's software answers with an MDN (ansforge/IG-hl7v2-volet-trans-lps-doc-cda-courriel-mss, struct-msg-mdn).
/// The patient's identity is the payload here by design: none of it goes to the logs.
/// </summary>
public sealed class SecureMessageComposer(IOptions<SecureMessagingOptions> options, TimeProvider timeProvider)
{
    private readonly SecureMessagingOptions _options = options.Value;

    /// <summary>Composes the message; an unusable recipient address or document is a permanent <see cref="DeliveryFailedException"/>.</summary>
    public MimeMessage Compose(OutboundDocument document, string recipientAddress, string deliveryId)
    {
        if (!MailboxAddress.TryParse(recipientAddress, out var recipient) || !recipient.Address.Contains('@'))
            throw new DeliveryFailedException("The recipient is not a mailbox address.", transient: false);
        var entry = XdmDocumentEntry.From(document, _options.LocalPatientIdOid);
        var now = timeProvider.GetUtcNow();
        var submission = new XdmSubmission(
            XdmDocumentEntry.OidFromName("delivery/" + deliveryId), _options.SourceId, now, recipient.Address);
        var xdm = XdmPackageBuilder.Build(entry, document.Content, submission);

        var message = new MimeMessage
        {
            MessageId = DeliveryMessageId.Create(deliveryId, _options.MessageIdDomain),
            Date = now,
            Subject = Subject(entry),
        };
        message.From.Add(MailboxAddress.Parse(_options.SenderAddress));
        message.To.Add(recipient);
        message.Headers.Add("Disposition-Notification-To", _options.SenderAddress);
        message.Headers.Add("X-MSS-CODECDA", entry.TypeCode.Code);
        // Ref. socle #2 §3.8.2: "O" when the package carries a qualified INS, "N" otherwise; never the INS itself.
        message.Headers.Add("X-MSS-INS", entry.HasQualifiedIns ? "O" : "N");
        if (!string.IsNullOrEmpty(_options.ProductReference))
            message.Headers.Add("X-MSS-NIL", _options.ProductReference);

        var body = new Multipart("mixed")
        {
            new TextPart("plain") { Text = BodyText(entry) },
            Attachment(document.Content, document.ContentType, HumanReadableFileName(entry)),
            Attachment(xdm, "application/zip", XdmPackageBuilder.FileName),
        };
        message.Body = body;
        return message;
    }

    /// <summary>The subject MSSanté readers recognise, e.g. <c>XDM/1.0/DDM+CR hospitalier (séjour) DUPONT Marie 12/10/1988</c>.</summary>
    private static string Subject(XdmDocumentEntry entry)
    {
        var birthDate = entry.BirthDate is { Length: 10 } date
            ? DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToString("dd/MM/yyyy", CultureInfo.InvariantCulture)
            : entry.BirthDate ?? "";
        return $"XDM/1.0/DDM+{entry.TypeCode.Display} {entry.BirthName.ToUpperInvariant()} {entry.FirstName} {birthDate}".TrimEnd();
    }

    private static string BodyText(XdmDocumentEntry entry) =>
        $"""
        Bonjour,

        Veuillez trouver ci-joint le document « {entry.Title} » ({entry.TypeCode.Display}),
        au format lisible et dans l'archive IHE_XDM.ZIP destinée à l'intégration dans votre logiciel.

        Message envoyé automatiquement par FhirCoordGateway ; un accusé de traitement (MDN) est demandé.
        """;

    private static string HumanReadableFileName(XdmDocumentEntry entry) =>
        "document" + Path.GetExtension(entry.FileName).ToLowerInvariant();

    private static MimePart Attachment(byte[] content, string contentType, string fileName) =>
        new(ContentType.Parse(contentType))
        {
            Content = new MimeContent(new MemoryStream(content)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = fileName,
        };
}
