using System.Net;
using System.Security.Cryptography.X509Certificates;
using FhirCoordGateway.Delivery.SharedRecord;
using FhirCoordGateway.Delivery.Tests.SecureMessaging;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;

namespace FhirCoordGateway.Delivery.Tests.SharedRecord;

/// <summary>
/// Mutual TLS with the shared record: an HTTPS peer (Kestrel on loopback) whose certificate chains to a test CA and
/// which requires a client certificate signed by that CA (PKI made at test time, <see cref="TestCertificates"/>).
/// </summary>
public sealed class SharedRecordTlsTests : IAsyncLifetime
{
    private readonly TestCertificates _pki = new();
    private WebApplication _peer = null!;
    private string _baseUrl = "";
    private string? _clientSubjectSeen;

    public async Task InitializeAsync()
    {
        using var pem = X509Certificate2.CreateFromPemFile(_pki.ServerCertificatePemPath, _pki.ServerKeyPemPath);
        var serverCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificateFromFile(_pki.CaPemPath);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            };
        })));
        _peer = builder.Build();
        _peer.MapPost("/fhir", async context =>
        {
            _clientSubjectSeen = context.Connection.ClientCertificate?.Subject;
            var response = new Bundle { Type = Bundle.BundleType.TransactionResponse };
            foreach (var location in new[] { "List/1", "DocumentReference/tls-8e2f", "Binary/1" })
                response.Entry.Add(new Bundle.EntryComponent { Response = new Bundle.ResponseComponent { Status = "201 Created", Location = location } });
            context.Response.ContentType = "application/fhir+json";
            await context.Response.WriteAsync(new FhirJsonSerializer().SerializeToString(response));
        });
        await _peer.StartAsync();
        var address = _peer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _baseUrl = $"https://127.0.0.1:{new Uri(address).Port}/fhir";
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        _pki.Dispose();
    }

    private ServiceProvider Services(bool trustTestCa, string? clientCertificate) =>
        new ServiceCollection().AddLogging().AddSharedRecord(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Delivery:SharedRecord:BaseUrl"] = _baseUrl,
            ["Delivery:SharedRecord:SourceOid"] = SourceOid,
            ["Delivery:SharedRecord:TimeoutSeconds"] = "20",
            ["Delivery:SharedRecord:TrustedCaPath"] = trustTestCa ? _pki.CaPemPath : null,
            ["Delivery:SharedRecord:CheckCertificateRevocation"] = "false",
            ["Delivery:SharedRecord:ClientCertificatePath"] = clientCertificate,
            ["Delivery:SharedRecord:ClientCertificatePassword"] = TestCertificates.ClientCertificatePassword,
        }).Build()).BuildServiceProvider();

    [Fact]
    public async Task GivenTheTestCaAndTheClientCertificateConfigured_WhenSubmitting_ThenTheServerSeesTheCertificateAndStoresTheDocument()
    {
        using var services = Services(trustTestCa: true, _pki.ClientPkcs12Path);

        var receipt = await services.GetRequiredService<ISharedRecordConnector>().SubmitAsync(Crh(), false, CancellationToken.None);

        Assert.Equal("DocumentReference/tls-8e2f", receipt.RemoteReference);
        Assert.Equal("CN=gateway-app.test.mssante.fr", _clientSubjectSeen);
    }

    [Fact]
    public async Task GivenTheServerCaIsNotTrusted_WhenSubmitting_ThenPermanentFailureAndNothingReachesTheServer()
    {
        using var services = Services(trustTestCa: false, _pki.ClientPkcs12Path);

        var failure = await Assert.ThrowsAsync<DeliveryFailedException>(
            () => services.GetRequiredService<ISharedRecordConnector>().SubmitAsync(Crh(), false, CancellationToken.None));

        Assert.False(failure.Transient);
        Assert.Contains("TLS", failure.Message);
        Assert.Null(_clientSubjectSeen);
    }
}
