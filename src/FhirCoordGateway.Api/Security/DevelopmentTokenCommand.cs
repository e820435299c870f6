namespace FhirCoordGateway.Api.Security;

/// <summary>
/// <c>FhirCoordGateway token --scope "system/*.cruds" [--patient id] [--role r] [--client id] [--minutes n]</c>:
/// prints an access token signed by the development issuer's key (made on first use). ADR 0011.
/// </summary>
public static class DevelopmentTokenCommand
{
    public const string Name = "token";

    public const string Usage =
        "usage: token --scope \"system/*.cruds\" [--patient <Patient id>] [--role professional|patient|legal-representative] [--client <id>] [--minutes <n>]";

    public static int Run(IConfiguration configuration, IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var options = configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error.WriteLine(Usage);
                return 2;
            }

            values[args[i][2..]] = args[i + 1];
        }

        if (!values.TryGetValue("scope", out var scope) || values.Keys.Except(["scope", "patient", "role", "client", "minutes"]).Any()
            || (values.TryGetValue("minutes", out var m) && !int.TryParse(m, out _)))
        {
            error.WriteLine(Usage);
            return 2;
        }

        var dev = options.DevelopmentIssuer;
        var request = new TokenRequest(scope, values.GetValueOrDefault("patient"), values.GetValueOrDefault("role"), values.GetValueOrDefault("client") ?? "fhircoord-dev-client")
        {
            Lifetime = TimeSpan.FromMinutes(values.TryGetValue("minutes", out var minutes) ? int.Parse(minutes, System.Globalization.CultureInfo.InvariantCulture) : 60),
        };
        output.WriteLine(TokenMinter.Mint(request, dev.Issuer, dev.Audience, SigningKeys.DevelopmentKey(dev)));
        return 0;
    }
}
