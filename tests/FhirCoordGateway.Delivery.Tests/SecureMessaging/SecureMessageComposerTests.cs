using FhirCoordGateway.Delivery.SecureMessaging;
using static FhirCoordGateway.Delivery.Tests.SecureMessaging.SecureMessagingTestData;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

public sealed class SecureMessageComposerTests
{
    [Fact]
    public void GivenPatientWithoutIns_WhenComposing_ThenXMssInsIsN()
    {
        using var message = Composer(Options()).Compose(Crh(qualifiedIns: false), Recipient, "dlv-x2");

        Assert.Equal("N", message.Headers["X-MSS-INS"]);
        Assert.Equal("XDM/1.0/DDM+CR hospitalier (séjour) FIGATELLIX Corse 12/10/1988", message.Subject);
    }

    [Fact]
    public void GivenQualifiedIns_WhenComposing_ThenHeadersSayOButNeverCarryTheInsValue()
    {
        using var message = Composer(Options()).Compose(Crh(), Recipient, "dlv-x3");

        Assert.Equal("O", message.Headers["X-MSS-INS"]);
        Assert.DoesNotContain(message.Headers, h => h.Value.Contains(Nir, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("")]
    public void GivenRecipientThatIsNoMailbox_WhenComposing_ThenDeliveryFailsPermanently(string recipient)
    {
        var failure = Assert.Throws<DeliveryFailedException>(() => Composer(Options()).Compose(Crh(), recipient, "dlv-x1"));

        Assert.False(failure.Transient);
    }
}
