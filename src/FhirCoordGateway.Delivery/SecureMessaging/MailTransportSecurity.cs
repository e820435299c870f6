using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// The TLS side of the mailbox's SMTP and IMAP sessions: STARTTLS (required unless configured off), the
/// mailbox's client certificate from its PKCS#12 file, and server certificate validation against the system
/// trust store or, when configured, the given CAs only. Files are read once, on first use.
/// </summary>
public sealed class MailTransportSecurity
{
    private readonly SecureMessagingOptions _options;
    private readonly Lazy<X509Certificate2?> _clientCertificate;
    private readonly Lazy<X509Certificate2Collection> _trustedCas;

    public MailTransportSecurity(IOptions<SecureMessagingOptions> options)
    {
        _options = options.Value;
        _clientCertificate = new(() => string.IsNullOrEmpty(_options.ClientCertificatePath)
            ? null
            : X509CertificateLoader.LoadPkcs12FromFile(_options.ClientCertificatePath, _options.ClientCertificatePassword));
        _trustedCas = new(LoadTrustedCas);
    }

    public SecureSocketOptions SocketOptions =>
        _options.RequireStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable;

    /// <summary>Sets the timeout, the client certificate and the server certificate check on a MailKit client.</summary>
    public void Configure(MailService client)
    {
        client.Timeout = _options.TimeoutSeconds * 1000;
        client.CheckCertificateRevocation = _options.CheckCertificateRevocation;
        client.ServerCertificateValidationCallback = ValidateServerCertificate;
        if (_clientCertificate.Value is { } certificate)
            client.ClientCertificates = new X509CertificateCollection { certificate };
    }

    /// <summary>
    /// The system trust store, or only the configured CAs when there are some (as the shared-record client's chain
    /// policy does). A host name mismatch is never accepted.
    /// </summary>
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_trustedCas.Value.Count == 0) return errors == SslPolicyErrors.None;
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
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
