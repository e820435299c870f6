using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>
/// Runs Debian's Dovecot (dovecot-imapd, installed by scripts/test.sh) in the foreground with its own
/// configuration, on the last free port of 25899–25870 (the SMTP fixture counts up from 25870): STARTTLS
/// required, logins refused without a client certificate from the test CA, one Maildir per user of <see cref="Users"/>.
/// </summary>
public sealed class ImapServerFixture : IDisposable
{
    public const string Password = "imap-pass-31c7";
    public static readonly string[] Users = ["ack-a", "ack-b", "ack-c", "ack-d"];

    private readonly Process _process;
    private readonly string _configuration;

    public TestCertificates Certificates { get; } = new();
    public int Port { get; }

    public ImapServerFixture()
    {
        var root = Certificates.Directory;
        var mail = Path.Combine(root, "mail");
        Directory.CreateDirectory(Path.Combine(root, "run"));
        Directory.CreateDirectory(mail);
        // Mail processes run as nobody (65534); the homes are made below this folder.
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(mail, (UnixFileMode)0b111_111_111);
        File.WriteAllLines(Path.Combine(root, "users"),
            Users.Select(u => $"{u}:{{PLAIN}}{Password}:65534:65534::{Path.Combine(mail, u)}::"));
        var failures = new List<string>();
        for (var port = 25899; port >= 25870; port--)
        {
            if (!TestPorts.IsFree(port)) continue;
            var configuration = _configuration = Path.Combine(root, "dovecot.conf");
            File.WriteAllText(configuration, Configuration(root, port));
            var process = Process.Start(new ProcessStartInfo("/usr/sbin/dovecot", ["-F", "-c", configuration])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            }) ?? throw new InvalidOperationException("dovecot did not start.");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (WaitUntilListening(process, port))
            {
                _process = process;
                Port = port;
                return;
            }
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            var log = Path.Combine(root, "dovecot.log");
            failures.Add($"{port}: {(File.Exists(log) ? File.ReadAllText(log) : "no log")}");
            process.Dispose();
        }
        throw new InvalidOperationException("The test IMAP server did not start: " + string.Join(" | ", failures));
    }

    private static string Configuration(string root, int port) => string.Format(CultureInfo.InvariantCulture, """
        base_dir = {0}/run
        state_dir = {0}/run
        log_path = {0}/dovecot.log
        protocols = imap
        listen = 127.0.0.1
        service imap-login {{
          inet_listener imap {{
            address = 127.0.0.1
            port = {1}
          }}
          inet_listener imaps {{
            port = 0
          }}
        }}
        ssl = required
        ssl_cert = <{0}/server.pem
        ssl_key = <{0}/server.key
        ssl_ca = <{0}/ca.pem
        ssl_verify_client_cert = yes
        # The test CA publishes no CRL.
        ssl_require_crl = no
        auth_ssl_require_client_cert = yes
        disable_plaintext_auth = yes
        auth_mechanisms = plain login
        passdb {{
          driver = passwd-file
          args = scheme=PLAIN {0}/users
        }}
        userdb {{
          driver = passwd-file
          args = {0}/users
        }}
        mail_location = maildir:~/Maildir
        first_valid_uid = 1

        """, root, port);

    private static bool WaitUntilListening(Process process, int port)
    {
        for (var attempt = 0; attempt < 100 && !process.HasExited; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return !process.HasExited;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        return false;
    }

    public void Dispose()
    {
        // "dovecot stop" lets the master stop and reap its children; killing it would orphan them.
        using (var stop = Process.Start("/usr/sbin/dovecot", ["-c", _configuration, "stop"])) stop.WaitForExit(10_000);
        if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        Certificates.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ImapServerCollection : ICollectionFixture<ImapServerFixture>
{
    public const string Name = "IMAP server";
}
