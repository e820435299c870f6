using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Reads issuers' JWKS documents (inline or from a file) and makes the development key. Keys come only from
/// configuration or disk: validating a token never needs the network.
/// </summary>
public static class SigningKeys
{
    public static IReadOnlyList<SecurityKey> Of(IssuerOptions issuer)
    {
        var json = issuer.Jwks is { Length: > 0 } inline ? inline
            : issuer.JwksFile is { Length: > 0 } path ? File.ReadAllText(path)
            : throw new InvalidOperationException($"Security issuer '{issuer.Issuer}' has neither Jwks nor JwksFile.");
        var keys = new JsonWebKeySet(json).GetSigningKeys();
        return keys.Count > 0 ? [.. keys] : throw new InvalidOperationException($"Security issuer '{issuer.Issuer}' has no signing key.");
    }

    /// <summary>The public JWKS document of <paramref name="key"/>, as an issuer's configuration takes it (tests, benchmarks).</summary>
    public static string PublicJwks(RsaSecurityKey key)
    {
        var p = key.Rsa.ExportParameters(includePrivateParameters: false);
        var jwk = new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = key.KeyId, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
        return JsonSerializer.Serialize(new { keys = new[] { jwk } });
    }

    /// <summary>The development issuer's private key, created (RSA 2048) and saved as a JWKS on first use.</summary>
    public static JsonWebKey DevelopmentKey(DevelopmentIssuerOptions options)
    {
        if (!File.Exists(options.KeyPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.KeyPath))!);
            using var rsa = RSA.Create(2048);
            var p = rsa.ExportParameters(includePrivateParameters: true);
            var jwk = new Dictionary<string, string>
            {
                ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = "dev-" + Guid.NewGuid().ToString("N")[..12],
                ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
                ["d"] = Base64UrlEncoder.Encode(p.D), ["p"] = Base64UrlEncoder.Encode(p.P), ["q"] = Base64UrlEncoder.Encode(p.Q),
                ["dp"] = Base64UrlEncoder.Encode(p.DP), ["dq"] = Base64UrlEncoder.Encode(p.DQ), ["qi"] = Base64UrlEncoder.Encode(p.InverseQ),
            };
            var temporary = options.KeyPath + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new { keys = new[] { jwk } }));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            // Two processes may race on first use: the first file in place wins, the other key is dropped.
            try
            {
                File.Move(temporary, options.KeyPath, overwrite: false);
            }
            catch (IOException) when (File.Exists(options.KeyPath))
            {
                File.Delete(temporary);
            }
        }

        return new JsonWebKeySet(File.ReadAllText(options.KeyPath)).Keys[0];
    }
}
