using System.Diagnostics;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// Sends a delivery's message over SMTP submission with STARTTLS and the mailbox's client certificate, as the
/// MSSanté client interfaces specify for application mailboxes (BAL APP). Failures are classified for the retry
/// policy: SMTP 4xx, connection errors and timeouts are transient; SMTP 5xx, TLS and authentication failures
/// (configuration or trust problems that no retry fixes) are permanent.
/// </summary>
public sealed class SmtpSecureMessagingConnector(
    IOptions<SecureMessagingOptions> options,
    SecureMessageComposer composer,
    MailTransportSecurity security,
    ILogger<SmtpSecureMessagingConnector> logger) : ISecureMessagingConnector
{
    private readonly SecureMessagingOptions _options = options.Value;

    public async Task<DeliveryReceipt> SendAsync(OutboundDocument document, string recipientAddress, string deliveryId, CancellationToken ct)
    {
        using var message = composer.Compose(document, recipientAddress, deliveryId);
        var started = Stopwatch.GetTimestamp();
        using var client = new SmtpClient { LocalDomain = _options.MessageIdDomain };
        security.Configure(client);
        string response;
        try
        {
            await client.ConnectAsync(_options.Host, _options.Port, security.SocketOptions, ct);
            if (!string.IsNullOrEmpty(_options.UserName))
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", ct);
            response = await client.SendAsync(message, ct);
        }
        catch (Exception exception) when (Classify(exception, ct) is { } failure)
        {
            logger.LogWarning(exception, "Secure message for delivery {DeliveryId} failed ({Transient}) in {ElapsedMs} ms",
                deliveryId, failure.Transient ? "transient" : "permanent", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw failure;
        }
        await DisconnectQuietlyAsync(client, deliveryId);
        logger.LogInformation("Sent secure message for delivery {DeliveryId} in {ElapsedMs} ms",
            deliveryId, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new DeliveryReceipt(response, message.MessageId);
    }

    /// <summary>The message is accepted once DATA succeeded; a failed QUIT must not make the job send it again.</summary>
    private async Task DisconnectQuietlyAsync(SmtpClient client, string deliveryId)
    {
        try
        {
            await client.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception exception) when (exception is IOException or SocketException or MailKit.ProtocolException or OperationCanceledException)
        {
            logger.LogDebug(exception, "QUIT failed after delivery {DeliveryId} was accepted", deliveryId);
        }
    }

    /// <summary>
    /// Maps a send failure to the retry policy; null for caller cancellation (rethrown as is). Server texts are
    /// kept (they name the mailbox, never the patient), exception texts are not.
    /// </summary>
    internal static DeliveryFailedException? Classify(Exception exception, CancellationToken ct) => exception switch
    {
        OperationCanceledException when ct.IsCancellationRequested => null,
        SmtpCommandException smtp => new DeliveryFailedException(
            $"SMTP server answered {(int)smtp.StatusCode} to {smtp.ErrorCode}: {smtp.Message}", transient: (int)smtp.StatusCode < 500, smtp),
        SslHandshakeException => new DeliveryFailedException(
            "TLS handshake with the SMTP server failed (server certificate not trusted or client certificate refused).", transient: false, exception),
        AuthenticationException => new DeliveryFailedException("SMTP authentication was refused.", transient: false, exception),
        NotSupportedException => new DeliveryFailedException("The SMTP server does not offer STARTTLS, which is required.", transient: false, exception),
        OperationCanceledException or TimeoutException => new DeliveryFailedException("The SMTP session timed out.", transient: true, exception),
        SmtpProtocolException or IOException or SocketException or ServiceNotConnectedException => new DeliveryFailedException(
            $"The SMTP connection failed ({exception.GetType().Name}).", transient: true, exception),
        _ => null,
    };
}
