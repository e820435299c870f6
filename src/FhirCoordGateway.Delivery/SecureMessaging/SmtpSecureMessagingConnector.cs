using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
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
public sealed class SmtpSecureMessagingConnector : ISecureMessagingConnector
{
    private readonly SecureMessagingOptions _options;
    private readonly SecureMessageComposer _composer;
    private readonly ILogger<SmtpSecureMessagingConnector> _logger;
    private readonly Lazy<X509Certificate2?> _clientCertificate;
    private readonly Lazy<X509Certificate2Collection> _trustedCas;

    public SmtpSecureMessagingConnector(
        IOptions<SecureMessagingOptions> options, SecureMessageComposer composer, ILogger<SmtpSecureMessagingConnector> logger)
    {
        _options = options.Value;
        _composer = composer;
        _logger = logger;
        _clientCertificate = new(() => string.IsNullOrEmpty(_options.ClientCertificatePath)
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(_options.ClientCertificatePath, _options.ClientCertificatePassword));
        _trustedCas = new(LoadTrustedCas);
    }

    public async Task<DeliveryReceipt> SendAsync(OutboundDocument document, string recipientAddress, string deliveryId, CancellationToken ct)
    {
        var message = _composer.Compose(document, recipientAddress, deliveryId);
        var started = Stopwatch.GetTimestamp();
        using var client = new SmtpClient
        {
            Timeout = _options.TimeoutSeconds * 1000,
            CheckCertificateRevocation = _options.CheckCertificateRevocation,
            ServerCertificateValidationCallback = ValidateServerCertificate,
            LocalDomain = _options.MessageIdDomain,
        };
        if (_clientCertificate.Value is { } certificate)
            client.ClientCertificates = new X509CertificateCollection { certificate };
        string response;
        try
        {
            var security = _options.RequireStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;
            await client.ConnectAsync(_options.Host, _options.Port, security, ct);
            if (!string.IsNullOrEmpty(_options.UserName))
                await client.AuthenticateAsync(_options.UserName, _options.Password ?? "", ct);
            response = await client.SendAsync(message, ct);
        }
        catch (Exception exception) when (Classify(exception, ct) is { } failure)
        {
            _logger.LogWarning(exception, "Secure message for delivery {DeliveryId} failed ({Transient}) in {ElapsedMs} ms",
                deliveryId, failure.Transient ? "transient" : "permanent", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw failure;
        }
        await DisconnectQuietlyAsync(client, deliveryId);
        _logger.LogInformation("Sent secure message for delivery {DeliveryId} in {ElapsedMs} ms",
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
            _logger.LogDebug(exception, "QUIT failed after delivery {DeliveryId} was accepted", deliveryId);
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

    /// <summary>System trust first; else a chain to one of the configured CAs. A host name mismatch is never accepted.</summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors || _trustedCas.Value.Count == 0) return false;
        using var serverCertificate = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.CustomTrustStore.AddRange(_trustedCas.Value);
        customChain.ChainPolicy.RevocationMode = _options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements) customChain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return customChain.Build(serverCertificate);
    }

    private X509Certificate2Collection LoadTrustedCas()
    {
        var collection = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(_options.TrustedCaPath)) collection.ImportFromPemFile(_options.TrustedCaPath);
        return collection;
    }
}
