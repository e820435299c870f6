using System.Diagnostics;
using MimeKit;

namespace FhirCoordGateway.Delivery.Tests.SecureMessaging;

/// <summary>
/// Runs smtp_server.py (Debian's python3-aiosmtpd, installed by scripts/test.sh) on the first free port of
/// 25870–25899: STARTTLS required, client certificate from the test CA required, messages saved to
/// <see cref="Outbox"/>, and fixed answers for <see cref="TemporaryFailureRecipient"/> (450) and
/// <see cref="UnknownRecipient"/> (550).
/// </summary>
public sealed class SmtpServerFixture : IDisposable
{
    public const string TemporaryFailureRecipient = "busy-4b2e@operator.test.mssante.fr";
    public const string UnknownRecipient = "nobody-4b2e@operator.test.mssante.fr";

    // Debian's interpreter, where apt-get puts aiosmtpd (a PATH python3 may be another installation).
    private static readonly string Python = Environment.GetEnvironmentVariable("FHIRCOORD_TEST_PYTHON") ?? "/usr/bin/python3";

    private readonly Process _process;

    public TestCertificates Certificates { get; } = new();
    public string Outbox { get; }
    public int Port { get; }

    public SmtpServerFixture()
    {
        Outbox = Path.Combine(Certificates.Directory, "outbox");
        Directory.CreateDirectory(Outbox);
        var failures = new List<string>();
        for (var port = 25870; port <= 25899; port++)
        {
            var process = Start(port, out var firstLine);
            if (firstLine == "READY")
            {
                // Drain the server's log lines so a full pipe never blocks it.
                process.BeginErrorReadLine();
                _process = process;
                Port = port;
                return;
            }
            failures.Add($"{port}: {firstLine} {process.StandardError.ReadToEnd()}");
            process.Dispose();
            if (firstLine is null || !firstLine.StartsWith("BIND_FAILED", StringComparison.Ordinal)) break;
        }
        throw new InvalidOperationException("The test SMTP server did not start: " + string.Join(" | ", failures));
    }

    private Process Start(int port, out string? firstLine)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "SecureMessaging", "smtp_server.py"),
                     "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--cert", Certificates.ServerCertificatePemPath, "--key", Certificates.ServerKeyPemPath,
                     "--client-ca", Certificates.CaPemPath, "--outbox", Outbox,
                     "--reply", TemporaryFailureRecipient + "=450", "--reply", UnknownRecipient + "=550",
                 })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        firstLine = process.StandardOutput.ReadLine();
        return process;
    }

    /// <summary>The received message with this Message-ID, or null.</summary>
    public MimeMessage? Received(string messageId) =>
        Directory.GetFiles(Outbox, "*.eml").Select(path => MimeMessage.Load(path)).FirstOrDefault(m => m.MessageId == messageId);

    public int ReceivedCount => Directory.GetFiles(Outbox, "*.eml").Length;

    public void Dispose()
    {
        // Closing stdin stops the server cleanly; kill it if it lingers.
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        Certificates.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SmtpServerCollection : ICollectionFixture<SmtpServerFixture>
{
    public const string Name = "SMTP server";
}
