using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>Fails startup on a secure-messaging configuration that could only fail later, one message per problem.</summary>
public sealed partial class SecureMessagingOptionsValidator : IValidateOptions<SecureMessagingOptions>
{
    public ValidateOptionsResult Validate(string? name, SecureMessagingOptions options)
    {
        var failures = new List<string>();
        const string section = SecureMessagingOptions.Section;
        if (string.IsNullOrWhiteSpace(options.Host)) failures.Add($"{section}:Host is required.");
        if (options.Port is < 1 or > 65535) failures.Add($"{section}:Port must be between 1 and 65535.");
        if (!MailboxAddress.TryParse(options.SenderAddress, out var sender) || !sender.Address.Contains('@'))
            failures.Add($"{section}:SenderAddress must be the gateway's mailbox address.");
        if (!DomainName().IsMatch(options.MessageIdDomain)) failures.Add($"{section}:MessageIdDomain must be a domain name.");
        if (!Oid().IsMatch(options.SourceId)) failures.Add($"{section}:SourceId must be an OID.");
        if (!Oid().IsMatch(options.LocalPatientIdOid)) failures.Add($"{section}:LocalPatientIdOid must be an OID.");
        if (options.TimeoutSeconds < 1) failures.Add($"{section}:TimeoutSeconds must be at least 1.");
        if (!string.IsNullOrEmpty(options.ClientCertificatePath) && !File.Exists(options.ClientCertificatePath))
            failures.Add($"{section}:ClientCertificatePath names no file.");
        if (!string.IsNullOrEmpty(options.TrustedCaPath) && !File.Exists(options.TrustedCaPath))
            failures.Add($"{section}:TrustedCaPath names no file.");
        if (!string.IsNullOrEmpty(options.UserName) && string.IsNullOrEmpty(options.Password))
            failures.Add($"{section}:Password is required with UserName.");
        if (options.Imap is { } imap)
        {
            if (string.IsNullOrWhiteSpace(imap.Host)) failures.Add($"{section}:Imap:Host is required.");
            if (imap.Port is < 1 or > 65535) failures.Add($"{section}:Imap:Port must be between 1 and 65535.");
            if (string.IsNullOrEmpty(imap.UserName) || string.IsNullOrEmpty(imap.Password))
                failures.Add($"{section}:Imap:UserName and Password are required.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex(@"^[0-2](\.(0|[1-9][0-9]*))+$")]
    private static partial Regex Oid();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")]
    private static partial Regex DomainName();
}
