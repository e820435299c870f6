using System.Net;
using System.Net.Sockets;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>The mail tests' servers take ports of 25870–25899 that are free on this machine.</summary>
internal static class TestPorts
{
    public static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
