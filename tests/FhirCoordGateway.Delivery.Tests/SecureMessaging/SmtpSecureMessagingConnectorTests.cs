using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml.Linq;
using FhirCoordGateway.Delivery.SecureMessaging;
using MimeKit;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>The connector against a real SMTP server (aiosmtpd) that requires STARTTLS and the mailbox's client certificate.</summary>
[Collection(SmtpServerCollection.Name)]
public sealed class SmtpSecureMessagingConnectorTests(SmtpServerFixture server)
{
    private static readonly XNamespace Rim = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0";

    private SecureMessagingOptions ServerOptions() => Options(server.Port, server.Certificates);

    [Fact]
    public async Task GivenCrh_WhenSending_ThenServerReceivesMultipartWithBodyDocumentAndXdmZip()
    {
        var receipt = await Connector(ServerOptions()).SendAsync(Crh(), Recipient, "dlv-a1", CancellationToken.None);

        Assert.Equal($"delivery-dlv-a1@{MessageIdDomain}", receipt.MessageId);
        Assert.Contains("Message accepted", receipt.RemoteReference);
        var message = server.Received(receipt.MessageId!) ?? throw new Xunit.Sdk.XunitException("The server did not receive the message.");
        var body = Assert.IsType<Multipart>(message.Body);
        Assert.Equal("multipart/mixed", body.ContentType.MimeType);
        Assert.Collection(body,
            text => Assert.Equal("text/plain", text.ContentType.MimeType),
            document =>
            {
                Assert.Equal("application/pdf", document.ContentType.MimeType);
                Assert.True(document.IsAttachment);
                Assert.Equal(PdfContent, Decode((MimePart)document));
            },
            xdm =>
            {
                Assert.Equal("application/zip", xdm.ContentType.MimeType);
                Assert.Equal("IHE_XDM.ZIP", ((MimePart)xdm).FileName);
            });
    }

    [Fact]
    public async Task GivenCrh_WhenSending_ThenHeadersCarrySubjectMssHeadersAndMdnRequest()
    {
        var receipt = await Connector(ServerOptions()).SendAsync(Crh(), Recipient, "dlv-a2", CancellationToken.None);

        var message = server.Received(receipt.MessageId!)!;
        Assert.Equal("XDM/1.0/DDM+CR hospitalier (séjour) FIGATELLIX Corse 12/10/1988", message.Subject);
        Assert.Equal(Sender, message.From.Mailboxes.Single().Address);
        Assert.Equal(Recipient, message.To.Mailboxes.Single().Address);
        Assert.Equal(Sender, message.Headers["Disposition-Notification-To"]);
        Assert.Equal("34112-3", message.Headers["X-MSS-CODECDA"]);
        Assert.Equal("O", message.Headers["X-MSS-INS"]);
        Assert.Equal("NIL-9d3f", message.Headers["X-MSS-NIL"]);
        Assert.Equal(Now, message.Date);
    }

    [Fact]
    public async Task GivenCrh_WhenSending_ThenXdmZipHasIndexReadmeMetadataAndTheDocument()
    {
        var receipt = await Connector(ServerOptions()).SendAsync(Crh(), Recipient, "dlv-a3", CancellationToken.None);

        var message = server.Received(receipt.MessageId!)!;
        var zipPart = message.Attachments.OfType<MimePart>().Single(p => p.FileName == "IHE_XDM.ZIP");
        using var zip = new ZipArchive(new MemoryStream(Decode(zipPart)));
        Assert.Equal(
            ["INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.PDF"],
            zip.Entries.Select(e => e.FullName));
        Assert.Equal(PdfContent, Read(zip, "IHE_XDM/SUBSET01/DOC0001.PDF"));

        var metadata = XDocument.Load(new MemoryStream(Read(zip, "IHE_XDM/SUBSET01/METADATA.XML")));
        var document = metadata.Descendants(Rim + "ExtrinsicObject").Single();
        Assert.Equal("application/pdf", (string?)document.Attribute("mimeType"));
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(PdfContent)), Slot(document, "hash"));
        Assert.Equal(PdfContent.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Slot(document, "size"));
        Assert.Equal("20260313154510", Slot(document, "creationTime"));
        Assert.Equal("DOC0001.PDF", Slot(document, "URI"));
        Assert.Equal(UniqueId, ExternalIdentifier(document, "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"));
        Assert.Equal($"{Nir}^^^&1.2.250.1.213.1.4.8&ISO^NH", ExternalIdentifier(document, "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"));
        Assert.Equal(("34112-3", "2.16.840.1.113883.6.1"), Code(document, "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"));
        Assert.Equal(("10", "1.2.250.1.213.1.1.4.1"), Code(document, "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"));
        Assert.Equal(("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3"), Code(document, "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"));
        var author = Classification(document, "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d");
        Assert.Equal("810101201234^Martin^Paul^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS", Slot(author, "authorPerson"));
        Assert.Equal("CH Test 9d3f^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000099", Slot(author, "authorInstitution"));

        var submissionSet = metadata.Descendants(Rim + "RegistryPackage").Single();
        Assert.Equal("20260314092653", Slot(submissionSet, "submissionTime"));
        Assert.Equal(SourceId, ExternalIdentifier(submissionSet, "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"));
        Assert.Equal($"|^^Internet^{Recipient}", Slot(submissionSet, "intendedRecipient"));
        var association = metadata.Descendants(Rim + "Association").Single();
        Assert.Equal(((string?)submissionSet.Attribute("id"), (string?)document.Attribute("id")),
            ((string?)association.Attribute("sourceObject"), (string?)association.Attribute("targetObject")));
    }

    [Fact]
    public async Task GivenNoClientCertificate_WhenSending_ThenServerRefusesTheTlsSessionAndNothingIsDelivered()
    {
        var options = ServerOptions();
        options.ClientCertificatePath = null;
        var before = server.ReceivedCount;

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => Connector(options).SendAsync(Crh(), Recipient, "dlv-b1", CancellationToken.None));

        Assert.Null(server.Received($"delivery-dlv-b1@{MessageIdDomain}"));
        Assert.Equal(before, server.ReceivedCount);
        // Under TLS 1.3 the server refuses the certificate after the client's handshake has completed, so the
        // client only sees the server hang up, which it cannot tell from a network drop: retried, hence transient.
        Assert.True(failure.Transient);
        Assert.IsType<MailKit.Net.Smtp.SmtpProtocolException>(failure.InnerException);
    }

    [Fact]
    public async Task GivenClientCertificateFromAnotherCa_WhenSending_ThenDeliveryFails()
    {
        var options = ServerOptions();
        options.ClientCertificatePath = server.Certificates.RogueClientPkcs12Path;

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => Connector(options).SendAsync(Crh(), Recipient, "dlv-b2", CancellationToken.None));
        Assert.True(failure.Transient);

        Assert.Null(server.Received($"delivery-dlv-b2@{MessageIdDomain}"));
    }

    [Fact]
    public async Task GivenServerCertificateFromUntrustedCa_WhenSending_ThenDeliveryFailsPermanently()
    {
        var options = ServerOptions();
        options.TrustedCaPath = null;

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => Connector(options).SendAsync(Crh(), Recipient, "dlv-b3", CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Null(server.Received($"delivery-dlv-b3@{MessageIdDomain}"));
    }

    [Fact]
    public async Task GivenTrustedCaThatDidNotSignTheServerCertificate_WhenSending_ThenDeliveryFailsPermanently()
    {
        var options = ServerOptions();
        options.TrustedCaPath = server.Certificates.RogueCaPemPath;

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => Connector(options).SendAsync(Crh(), Recipient, "dlv-b4", CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.IsType<MailKit.Security.SslHandshakeException>(failure.InnerException);
    }

    [Theory]
    [InlineData(SmtpServerFixture.TemporaryFailureRecipient, "450", true)]
    [InlineData(SmtpServerFixture.UnknownRecipient, "550", false)]
    public async Task GivenRecipientRefused_WhenSending_Then4xxIsTransientAnd5xxPermanent(string recipient, string code, bool transient)
    {
        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector(ServerOptions())
            .SendAsync(Crh(), recipient, "dlv-c" + code, CancellationToken.None));

        Assert.Equal(transient, failure.Transient);
        Assert.Contains(code, failure.Message);
        Assert.Null(server.Received($"delivery-dlv-c{code}@{MessageIdDomain}"));
    }

    [Fact]
    public async Task GivenNoServerListening_WhenSending_ThenFailureIsTransient()
    {
        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(() => Connector(Options(ClosedPort(), server.Certificates))
            .SendAsync(Crh(), Recipient, "dlv-c3", CancellationToken.None));

        Assert.True(failure.Transient);
    }

    [Fact]
    public async Task GivenSentMessage_WhenRecipientAnswersWithMdn_ThenParserMapsItBackToTheDelivery()
    {
        var receipt = await Connector(ServerOptions()).SendAsync(Crh(), Recipient, "dlv-d1", CancellationToken.None);
        var sent = server.Received(receipt.MessageId!)!;

        var mdn = MdnParserTests.Mdn(sent.MessageId!, "automatic-action/MDN-sent-automatically; processed/Error: 904^INS non concordant");

        Assert.True(Parser().TryParse(mdn, out var acknowledgement, out _));
        Assert.Equal(new Acknowledgement("dlv-d1", false, "904", "INS non concordant"), acknowledgement);
    }

    /// <summary>A port of the test range that nothing listens on (bound, then released).</summary>
    private static int ClosedPort() =>
        Enumerable.Range(25870, 30).Reverse().FirstOrDefault(TestPorts.IsFree) is var port and > 0
            ? port
            : throw new InvalidOperationException("No free port in 25870–25899.");

    private static byte[] Decode(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content!.DecodeTo(buffer);
        return buffer.ToArray();
    }

    private static byte[] Read(ZipArchive zip, string path)
    {
        using var stream = zip.GetEntry(path)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string? Slot(XElement owner, string name) =>
        owner.Elements(Rim + "Slot").SingleOrDefault(s => (string?)s.Attribute("name") == name)?.Descendants(Rim + "Value").Single().Value;

    private static string? ExternalIdentifier(XElement owner, string scheme) =>
        (string?)owner.Elements(Rim + "ExternalIdentifier").Single(e => (string?)e.Attribute("identificationScheme") == scheme).Attribute("value");

    private static XElement Classification(XElement owner, string scheme) =>
        owner.Elements(Rim + "Classification").Single(c => (string?)c.Attribute("classificationScheme") == scheme);

    private static (string?, string?) Code(XElement owner, string scheme)
    {
        var classification = Classification(owner, scheme);
        return ((string?)classification.Attribute("nodeRepresentation"), Slot(classification, "codingScheme"));
    }
}
