using System.ComponentModel.DataAnnotations;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Section <c>Security</c>: the token issuers the gateway trusts (keys from configuration or a file, never
/// fetched over the network), the clock skew, and the local development issuer. ADR 0011.
/// </summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// False turns authentication, authorization and audit off (benchmarks of the bare pipeline only);
    /// the gateway logs a warning at start-up.
    /// </summary>
    public bool Enabled { get; set; } = true;

    public List<IssuerOptions> Issuers { get; set; } = [];

    [Range(0, 600)]
    public int ClockSkewSeconds { get; set; } = 60;

    public DevelopmentIssuerOptions DevelopmentIssuer { get; set; } = new();

    /// <summary>The scope that opens administration surfaces such as the Hangfire dashboard.</summary>
    public string AdminScope { get; set; } = "system/admin";

    /// <summary>The authorization server's endpoints, published in the SMART configuration and the CapabilityStatement.</summary>
    public SmartEndpointOptions Smart { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>How reads', searches' and refusals' AuditEvents are appended (ADR 0016).</summary>
    public Core.Security.Audit.AuditTrailOptions Audit { get; set; } = new();

    /// <summary>Every trusted issuer, the development one included when enabled.</summary>
    public IEnumerable<IssuerOptions> AllIssuers() =>
        DevelopmentIssuer.Enabled ? [.. Issuers, DevelopmentIssuer.AsIssuer()] : Issuers;
}

/// <summary>One trusted issuer: its <c>iss</c>, the audiences it may address to us, and its public keys.</summary>
public sealed class IssuerOptions
{
    [Required]
    public string Issuer { get; set; } = "";

    public List<string> Audiences { get; set; } = [];

    /// <summary>A JWKS document inline (JSON text).</summary>
    public string? Jwks { get; set; }

    /// <summary>A path to a JWKS document (relative to the working directory).</summary>
    public string? JwksFile { get; set; }
}

/// <summary>
/// A local issuer for development: its key is created on first use at <see cref="KeyPath"/> and the
/// <c>token</c> command of the gateway signs tokens with it.
/// </summary>
public sealed class DevelopmentIssuerOptions
{
    public bool Enabled { get; set; }

    public string Issuer { get; set; } = "urn:fhircoord:dev-issuer";

    public string Audience { get; set; } = "fhircoord-gateway";

    public string KeyPath { get; set; } = ".data/dev-jwks.json";

    internal IssuerOptions AsIssuer() => new() { Issuer = Issuer, Audiences = [Audience], JwksFile = KeyPath };
}

/// <summary>Where clients get tokens: the authorization server the trusted issuers belong to.</summary>
public sealed class SmartEndpointOptions
{
    public Uri? AuthorizationEndpoint { get; set; }

    public Uri? TokenEndpoint { get; set; }
}

/// <summary>Requests per client (token <c>client_id</c>; the remote address when there is no token): a token bucket.</summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Sustained requests per second and client.</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 1000;

    /// <summary>Requests a client may send at once above the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 2000;
}
