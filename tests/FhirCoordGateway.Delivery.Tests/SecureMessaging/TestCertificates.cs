using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>
/// A throwaway PKI made at test time (no committed keys, no openssl): a CA that signs the SMTP server's
/// certificate (127.0.0.1) and the mailbox's client certificate, and a second CA whose client certificate
/// the server must refuse. Files go to <see cref="Directory"/>.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string ClientCertificatePassword = "p12-pass-5e19c0";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "fcg-smtp-pki-" + Guid.NewGuid().ToString("N"));
    public string CaPemPath => Path.Combine(Directory, "ca.pem");
    public string ServerCertificatePemPath => Path.Combine(Directory, "server.pem");
    public string ServerKeyPemPath => Path.Combine(Directory, "server.key");
    public string ClientPkcs12Path => Path.Combine(Directory, "client.p12");
    public string RogueClientPkcs12Path => Path.Combine(Directory, "rogue-client.p12");
    public string RogueCaPemPath => Path.Combine(Directory, "rogue-ca.pem");

    public TestCertificates()
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = CreateCa("CN=FhirCoordGateway Test CA 7c41", caKey);
        File.WriteAllText(CaPemPath, ca.ExportCertificatePem());

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var server = Issue(ca, "CN=127.0.0.1", serverKey, "1.3.6.1.5.5.7.3.1", withIpAddress: true);
        File.WriteAllText(ServerCertificatePemPath, server.ExportCertificatePem());
        File.WriteAllText(ServerKeyPemPath, serverKey.ExportPkcs8PrivateKeyPem());

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = Issue(ca, "CN=gateway-app.test.mssante.fr", clientKey, "1.3.6.1.5.5.7.3.2", withIpAddress: false);
        File.WriteAllBytes(ClientPkcs12Path, client.CopyWithPrivateKey(clientKey).Export(X509ContentType.Pkcs12, ClientCertificatePassword));

        using var rogueCaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogueCa = CreateCa("CN=Untrusted Test CA 7c41", rogueCaKey);
        File.WriteAllText(RogueCaPemPath, rogueCa.ExportCertificatePem());
        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogue = Issue(rogueCa, "CN=rogue.test.mssante.fr", rogueKey, "1.3.6.1.5.5.7.3.2", withIpAddress: false);
        File.WriteAllBytes(RogueClientPkcs12Path, rogue.CopyWithPrivateKey(rogueKey).Export(X509ContentType.Pkcs12, ClientCertificatePassword));
    }

    private static X509Certificate2 CreateCa(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, ECDsa key, string extendedKeyUsage, bool withIpAddress)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (withIpAddress)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        return request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(12));
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
