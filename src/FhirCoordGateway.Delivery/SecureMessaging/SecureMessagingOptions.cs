namespace FhirCoordGateway.Delivery.SecureMessaging;

/// <summary>
/// The gateway's MSSanté application mailbox (BAL APP) and its SMTP submission server, bound to section
/// <c>SecureMessaging</c>. Secrets (the PKCS#12 password, the SMTP password) come only from configuration.
/// </summary>
public sealed class SecureMessagingOptions
{
    public const string Section = "Delivery:SecureMessaging";

    /// <summary>The operator's SMTP submission host.</summary>
    public string Host { get; set; } = "";

    /// <summary>587 with STARTTLS, as the MSSanté client interfaces specify.</summary>
    public int Port { get; set; } = 587;

    /// <summary>Refuse to send unless the server offers STARTTLS. Turn off only for a lab server.</summary>
    public bool RequireStartTls { get; set; } = true;

    /// <summary>The gateway's own mailbox: the From address and where recipients send their acknowledgements (MDN).</summary>
    public string SenderAddress { get; set; } = "";

    /// <summary>The domain part of the Message-IDs the gateway makes (<c>delivery-{deliveryId}@{domain}</c>).</summary>
    public string MessageIdDomain { get; set; } = "";

    /// <summary>PKCS#12 file holding the mailbox's certificate and key; MSSanté application mailboxes authenticate with it.</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientCertificatePassword { get; set; }

    /// <summary>Optional SMTP AUTH credentials, for operators that ask for them on top of the certificate.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>
    /// PEM file of the CA certificates that may sign the server's certificate, used instead of the system's
    /// trust store (the IGC-Santé roots in production, a test CA in tests). Host name checks always apply.
    /// </summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>Check the server certificate's revocation (CRL/OCSP). Off only where no CRL is reachable, e.g. a test CA.</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>Connect, command and data timeout for one SMTP session.</summary>
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>The OID of the sending system: the XDM submission set's sourceId.</summary>
    public string SourceId { get; set; } = "";

    /// <summary>
    /// The OID under which the gateway's Patient ids are issued: the XDM patientId of a patient with no INS.
    /// </summary>
    public string LocalPatientIdOid { get; set; } = "";

    /// <summary>
    /// The mailbox's IMAP access, where recipients' acknowledgements (MDN) arrive; null when they come only
    /// through the gateway's inbound endpoint. Uses the same STARTTLS, certificates and timeout as SMTP.
    /// </summary>
    public SecureMessagingImapOptions? Imap { get; set; }

    /// <summary>Optional MSSanté product reference (header X-MSS-NIL) given when the software is declared to the ANS.</summary>
    public string? ProductReference { get; set; }
}

/// <summary>IMAP access to the gateway's mailbox (section <c>Delivery:SecureMessaging:Imap</c>).</summary>
public sealed class SecureMessagingImapOptions
{
    public string Host { get; set; } = "";

    /// <summary>143 with STARTTLS, as the MSSanté client interfaces specify.</summary>
    public int Port { get; set; } = 143;

    public string UserName { get; set; } = "";

    public string Password { get; set; } = "";

    public string Mailbox { get; set; } = "INBOX";
}
