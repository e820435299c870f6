using System.Text;
using FhirCoordGateway.Delivery.SecureMessaging;
using MimeKit;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>RFC 8098 MDNs as MSSanté recipients' software sends them (struct-msg-mdn, codes 900–906 of error-codes).</summary>
public sealed class MdnParserTests
{
    private static readonly string OurMessageId = $"delivery-dlv-7e20@{MessageIdDomain}";

    /// <summary>An MDN as RFC 8098 §3 and the ANS volet build it: text, disposition-notification, original message.</summary>
    internal static MimeMessage Mdn(string originalMessageId, string disposition, string? errorField = null)
    {
        var notification = new MessageDispositionNotification();
        notification.Fields.Add("Reporting-UA", "dpi.test.mssante.fr; DPI 9d3f");
        notification.Fields.Add("Original-Recipient", "rfc822;" + Recipient);
        notification.Fields.Add("Final-Recipient", "rfc822;" + Recipient);
        notification.Fields.Add("Original-Message-ID", "<" + originalMessageId + ">");
        notification.Fields.Add("Disposition", disposition);
        if (errorField is not null) notification.Fields.Add("Error", errorField);
        var original = new MimeMessage { MessageId = originalMessageId, Subject = "XDM/1.0/DDM+CR hospitalier (séjour) X Y 01/01/1980" };
        original.Body = new TextPart("plain") { Text = "original" };
        var mdn = new MimeMessage { Subject = "Accusé de traitement", InReplyTo = originalMessageId };
        mdn.From.Add(MailboxAddress.Parse(Recipient));
        mdn.To.Add(MailboxAddress.Parse(Sender));
        mdn.Body = new MultipartReport("disposition-notification")
        {
            new TextPart("plain") { Text = "Le document a été traité." },
            notification,
            new MessagePart { Message = original },
        };
        return mdn;
    }

    private static bool Parse(MimeMessage message, out Acknowledgement? acknowledgement, out string? rejection)
    {
        // Through bytes, as the inbound endpoint and the IMAP reader receive it.
        using var raw = new MemoryStream();
        message.WriteTo(raw);
        raw.Position = 0;
        return Parser().TryParse(raw, out acknowledgement, out rejection);
    }

    [Fact]
    public void GivenProcessedMdn_WhenParsing_ThenAcknowledgementIsProcessedForTheDelivery()
    {
        Assert.True(Parse(Mdn(OurMessageId, "automatic-action/MDN-sent-automatically; processed"), out var acknowledgement, out var rejection));

        Assert.Null(rejection);
        Assert.Equal(new Acknowledgement("dlv-7e20", true, null, null), acknowledgement);
    }

    [Theory]
    [InlineData("900", "Version du volet non supportée")]
    [InlineData("901", "Auteur non autorisé")]
    [InlineData("902", "Identifiant de patient inconnu")]
    [InlineData("903", "Absence de l'INS")]
    [InlineData("904", "INS non concordant")]
    [InlineData("905", "INS incomplète")]
    [InlineData("906", "Autre erreur")]
    public void GivenErrorMdn_WhenParsing_ThenAcknowledgementCarriesCodeAndLabel(string code, string label)
    {
        var mdn = Mdn(OurMessageId, $"automatic-action/MDN-sent-automatically; processed/Error: {code}^{label}^messageErrorCondition");

        Assert.True(Parse(mdn, out var acknowledgement, out _));

        Assert.Equal(new Acknowledgement("dlv-7e20", false, code, label), acknowledgement);
    }

    [Fact]
    public void GivenRfc8098ErrorModifierWithErrorField_WhenParsing_ThenCodeAndLabelComeFromTheErrorField()
    {
        var mdn = Mdn(OurMessageId, "automatic-action/MDN-sent-automatically; processed/error", errorField: "903^Absence de l'INS");

        Assert.True(Parse(mdn, out var acknowledgement, out _));

        Assert.Equal(new Acknowledgement("dlv-7e20", false, "903", "Absence de l'INS"), acknowledgement);
    }

    [Fact]
    public void GivenTheAnsExampleAsRawText_WhenParsing_ThenErrorCodeAndLabelAreRead()
    {
        var raw = $"""
            Date: Tue, 20 Feb 2024 00:19:00 +0100
            From: {Recipient}
            Message-ID: <20240220001900.12345@medecin.test.mssante.fr>
            Subject: [KO Intégration système !][902] XDM/1.0/DDM+CR hospitalier (séjour) FIGATELLIX Corse 12/10/1988
            To: {Sender}
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=disposition-notification;
             boundary="RAA14128.773615765"

            --RAA14128.773615765
            Content-Type: text/plain; charset="UTF-8"
            Content-Transfer-Encoding: 8bit

            Le document n'a pas pu être intégré.

            --RAA14128.773615765
            Content-Type: message/disposition-notification

            Original-Recipient: rfc822;{Recipient}
            Final-Recipient: rfc822;{Recipient}
            Original-Message-ID: <{OurMessageId}>
            Disposition:automatic-action/MDN-sent-automatically; processed/Error: 902^Identifiant de patient inconnu^messageErrorCondition| E^Error^errorSeverity

            --RAA14128.773615765--

            """.ReplaceLineEndings("\r\n");

        Assert.True(Parser().TryParse(new MemoryStream(Encoding.UTF8.GetBytes(raw)), out var acknowledgement, out _));

        Assert.Equal(new Acknowledgement("dlv-7e20", false, "902", "Identifiant de patient inconnu"), acknowledgement);
    }

    [Fact]
    public void GivenDeletedDisposition_WhenParsing_ThenAcknowledgementIsNotProcessed()
    {
        Assert.True(Parse(Mdn(OurMessageId, "manual-action/MDN-sent-manually; deleted"), out var acknowledgement, out _));

        Assert.Equal(new Acknowledgement("dlv-7e20", false, null, "deleted"), acknowledgement);
    }

    [Fact]
    public void GivenOrdinaryMessage_WhenParsing_ThenItIsRejectedAsNotAnMdn()
    {
        var message = new MimeMessage { MessageId = OurMessageId, Subject = "Re: votre courrier" };
        message.Body = new TextPart("plain") { Text = "Merci" };

        Assert.False(Parse(message, out var acknowledgement, out var rejection));

        Assert.Null(acknowledgement);
        Assert.Contains("disposition-notification", rejection);
    }

    [Fact]
    public void GivenDeliveryStatusReport_WhenParsing_ThenItIsRejectedAsNotAnMdn()
    {
        var message = new MimeMessage();
        message.Body = new MultipartReport("delivery-status") { new TextPart("plain") { Text = "bounce" } };

        Assert.False(Parse(message, out _, out var rejection));

        Assert.Contains("report-type=disposition-notification", rejection);
    }

    [Fact]
    public void GivenMdnForAMessageOfAnotherSender_WhenParsing_ThenItIsRejected()
    {
        var mdn = Mdn("20240219230100.23456@chb.mssante.fr", "automatic-action/MDN-sent-automatically; processed");

        Assert.False(Parse(mdn, out _, out var rejection));

        Assert.Contains("Original-Message-ID", rejection);
    }

    [Fact]
    public void GivenMdnWithoutDispositionType_WhenParsing_ThenItIsRejected()
    {
        Assert.False(Parse(Mdn(OurMessageId, "automatic-action/MDN-sent-automatically"), out _, out var rejection));

        Assert.Contains("Disposition", rejection);
    }

    [Fact]
    public void GivenBytesThatAreNoMessage_WhenParsing_ThenItIsRejected()
    {
        Assert.False(Parser().TryParse(new MemoryStream([]), out _, out var rejection));

        Assert.NotNull(rejection);
    }
}
