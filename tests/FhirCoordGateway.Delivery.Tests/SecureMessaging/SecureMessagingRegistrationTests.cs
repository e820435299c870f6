using FhirCoordGateway.Delivery.SecureMessaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

public sealed class SecureMessagingRegistrationTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSecureMessaging(configuration);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Delivery:SecureMessaging:Host"] = "smtp.operator.test.mssante.fr",
        ["Delivery:SecureMessaging:SenderAddress"] = Sender,
        ["Delivery:SecureMessaging:MessageIdDomain"] = MessageIdDomain,
        ["Delivery:SecureMessaging:SourceId"] = SourceId,
        ["Delivery:SecureMessaging:LocalPatientIdOid"] = LocalPatientIdOid,
    };

    [Fact]
    public void GivenValidSection_WhenResolving_ThenConnectorAndParserAreRegistered()
    {
        using var provider = Services(ValidSettings());

        Assert.IsType<SmtpSecureMessagingConnector>(provider.GetRequiredService<ISecureMessagingConnector>());
        Assert.NotNull(provider.GetRequiredService<MdnParser>());
        Assert.Equal(587, provider.GetRequiredService<IOptions<SecureMessagingOptions>>().Value.Port);
        Assert.True(provider.GetRequiredService<IOptions<SecureMessagingOptions>>().Value.RequireStartTls);
        Assert.Null(provider.GetService<ImapAcknowledgementReader>());
    }

    [Fact]
    public void GivenImapSection_WhenResolving_ThenTheAcknowledgementReaderIsRegistered()
    {
        var settings = ValidSettings();
        settings["Delivery:SecureMessaging:Imap:Host"] = "imap.operator.test.mssante.fr";
        settings["Delivery:SecureMessaging:Imap:UserName"] = "gateway-app-9d3f";
        settings["Delivery:SecureMessaging:Imap:Password"] = "imap-secret-9d3f";
        using var provider = Services(settings);

        Assert.NotNull(provider.GetRequiredService<ImapAcknowledgementReader>());
        Assert.Equal(143, provider.GetRequiredService<IOptions<SecureMessagingOptions>>().Value.Imap!.Port);
    }

    [Fact]
    public void GivenMissingHostBadOidAndMissingCertificateFile_WhenResolvingOptions_ThenEachProblemIsReported()
    {
        var settings = ValidSettings();
        settings["Delivery:SecureMessaging:Host"] = "";
        settings["Delivery:SecureMessaging:SourceId"] = "not-an-oid";
        settings["Delivery:SecureMessaging:ClientCertificatePath"] = "/nonexistent/gateway-9d3f.p12";
        using var provider = Services(settings);

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SecureMessagingOptions>>().Value);

        Assert.Equal(
            ["Delivery:SecureMessaging:Host is required.", "Delivery:SecureMessaging:SourceId must be an OID.", "Delivery:SecureMessaging:ClientCertificatePath names no file."],
            failure.Failures);
    }
}
