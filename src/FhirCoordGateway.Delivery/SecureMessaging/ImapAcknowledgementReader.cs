using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>What one pass over the mailbox did.</summary>
/// <param name="Applied">MDNs parsed and handed to the caller.</param>
/// <param name="Rejected">Unseen messages that were not MDNs for this gateway (marked seen, logged by UID).</param>
public sealed record AcknowledgementReadResult(int Applied, int Rejected);

/// <summary>
/// Reads acknowledgements from the gateway's mailbox over IMAP (STARTTLS, client certificate): every unseen
/// message of the configured folder is parsed as an MDN and, once the caller has applied it, marked seen.
/// Design: messages are fetched with BODY.PEEK and flagged only after <c>apply</c> returns, so a crash or a
/// failing <c>apply</c> leaves the message unseen for the next pass (at-least-once, like the delivery jobs).
/// </summary>
public sealed class ImapAcknowledgementReader(
    IOptions<SecureMessagingOptions> options,
    MailTransportSecurity security,
    MdnParser parser,
    ILogger<ImapAcknowledgementReader> logger)
{
    private readonly SecureMessagingImapOptions _imap = options.Value.Imap
        ?? throw new InvalidOperationException($"{SecureMessagingOptions.Section}:Imap is not configured.");

    /// <summary>One pass; <paramref name="apply"/> records an acknowledgement (and decides what an unknown delivery means).</summary>
    public async Task<AcknowledgementReadResult> ReadAsync(Func<Acknowledgement, CancellationToken, Task> apply, CancellationToken ct)
    {
        using var client = new ImapClient();
        security.Configure(client);
        await client.ConnectAsync(_imap.Host, _imap.Port, security.SocketOptions, ct);
        await client.AuthenticateAsync(_imap.UserName, _imap.Password, ct);
        var folder = await client.GetFolderAsync(_imap.Mailbox, ct);
        await folder.OpenAsync(FolderAccess.ReadWrite, ct);

        int applied = 0, rejected = 0;
        foreach (var uid in await folder.SearchAsync(SearchQuery.NotSeen, ct))
        {
            var message = await folder.GetMessageAsync(uid, ct);
            if (parser.TryParse(message, out var acknowledgement, out var rejection))
            {
                await apply(acknowledgement, ct);
                applied++;
            }
            else
            {
                logger.LogWarning("Mailbox message {Uid} is not an acknowledgement: {Rejection}", uid.Id, rejection);
                rejected++;
            }
            await folder.AddFlagsAsync(uid, MessageFlags.Seen, silent: true, ct);
        }
        await client.DisconnectAsync(quit: true, ct);
        logger.LogInformation("Read {Applied} acknowledgements and {Rejected} other messages", applied, rejected);
        return new AcknowledgementReadResult(applied, rejected);
    }
}
