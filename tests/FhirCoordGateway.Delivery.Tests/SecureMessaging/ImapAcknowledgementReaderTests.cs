using FhirCoordGateway.Delivery.SecureMessaging;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>The acknowledgement reader against a real IMAP server (Dovecot) that requires STARTTLS and a client certificate.</summary>
[Collection(ImapServerCollection.Name)]
public sealed class ImapAcknowledgementReaderTests(ImapServerFixture server)
{
    private const string Processed = "automatic-action/MDN-sent-automatically; processed";

    private SecureMessagingOptions MailboxOptions(string user)
    {
        var options = Options(certificates: server.Certificates);
        options.Imap = new SecureMessagingImapOptions { Host = "127.0.0.1", Port = server.Port, UserName = user, Password = ImapServerFixture.Password };
        return options;
    }

    private static ImapAcknowledgementReader Reader(SecureMessagingOptions options) =>
        new(Microsoft.Extensions.Options.Options.Create(options), Security(options), Parser(), NullLogger<ImapAcknowledgementReader>.Instance);

    /// <summary>Puts messages in the user's inbox, unseen, as the operator's delivery would.</summary>
    private static async Task AppendAsync(SecureMessagingOptions options, params MimeMessage[] messages)
    {
        using var client = await OpenAsync(options);
        foreach (var message in messages) await client.Inbox.AppendAsync(message, MessageFlags.None);
        await client.DisconnectAsync(true);
    }

    private static async Task<int> UnseenCountAsync(SecureMessagingOptions options)
    {
        using var client = await OpenAsync(options);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var count = (await client.Inbox.SearchAsync(SearchQuery.NotSeen)).Count;
        await client.DisconnectAsync(true);
        return count;
    }

    private static async Task<ImapClient> OpenAsync(SecureMessagingOptions options)
    {
        var client = new ImapClient();
        Security(options).Configure(client);
        await client.ConnectAsync(options.Imap!.Host, options.Imap.Port, MailKit.Security.SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(options.Imap.UserName, options.Imap.Password);
        return client;
    }

    private static MimeMessage OrdinaryMessage()
    {
        var message = new MimeMessage { Subject = "Question sur le CRH" };
        message.From.Add(MailboxAddress.Parse(Recipient));
        message.Body = new TextPart("plain") { Text = "Pouvez-vous me rappeler ?" };
        return message;
    }

    [Fact]
    public async Task GivenUnseenMdnsAndAnOrdinaryMessage_WhenReading_ThenEachMdnIsAppliedAndAllAreMarkedSeen()
    {
        var options = MailboxOptions("ack-a");
        await AppendAsync(options,
            MdnParserTests.Mdn($"delivery-dlv-i1@{MessageIdDomain}", Processed),
            OrdinaryMessage(),
            MdnParserTests.Mdn($"delivery-dlv-i2@{MessageIdDomain}", "automatic-action/MDN-sent-automatically; processed/Error: 905^INS incomplète"));
        var applied = new List<Acknowledgement>();

        var result = await Reader(options).ReadAsync((ack, _) => { applied.Add(ack); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(new AcknowledgementReadResult(2, 1), result);
        Assert.Equal(
            [new Acknowledgement("dlv-i1", true, null, null), new Acknowledgement("dlv-i2", false, "905", "INS incomplète")],
            applied);
        Assert.Equal(0, await UnseenCountAsync(options));
    }

    [Fact]
    public async Task GivenApplyFails_WhenReading_ThenTheMdnStaysUnseenAndTheNextPassAppliesIt()
    {
        var options = MailboxOptions("ack-b");
        await AppendAsync(options, MdnParserTests.Mdn($"delivery-dlv-i3@{MessageIdDomain}", Processed));

        await Assert.ThrowsAsync<TimeoutException>(() => Reader(options).ReadAsync((_, _) => throw new TimeoutException("store down"), CancellationToken.None));
        Assert.Equal(1, await UnseenCountAsync(options));

        var applied = new List<Acknowledgement>();
        var result = await Reader(options).ReadAsync((ack, _) => { applied.Add(ack); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal(new AcknowledgementReadResult(1, 0), result);
        Assert.Equal("dlv-i3", Assert.Single(applied).DeliveryId);
        Assert.Equal(0, await UnseenCountAsync(options));
    }

    [Fact]
    public async Task GivenNothingUnseen_WhenReading_ThenNothingIsApplied()
    {
        var options = MailboxOptions("ack-c");

        var result = await Reader(options).ReadAsync((_, _) => throw new InvalidOperationException("nothing to apply"), CancellationToken.None);

        Assert.Equal(new AcknowledgementReadResult(0, 0), result);
    }

    [Fact]
    public async Task GivenNoClientCertificate_WhenReading_ThenTheServerRefusesTheLogin()
    {
        var options = MailboxOptions("ack-d");
        options.ClientCertificatePath = null;

        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(
            () => Reader(options).ReadAsync((_, _) => Task.CompletedTask, CancellationToken.None));
    }
}
