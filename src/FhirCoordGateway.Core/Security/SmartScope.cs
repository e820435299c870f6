namespace FhirCoordGateway.Core.Security;

/// <summary>The context a SMART scope is granted in: the launch patient's compartment, the user's access, or a backend system.</summary>
public enum ScopeContext
{
    Patient,
    User,
    System,
}

/// <summary>SMART App Launch v2 permissions (<c>.cruds</c>). https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html</summary>
[Flags]
public enum ScopePermissions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>One clinical-data scope such as <c>patient/Observation.rs</c> or <c>system/*.cruds</c>.</summary>
public sealed record SmartScope(ScopeContext Context, string ResourceType, ScopePermissions Permissions)
{
    public const string AnyType = "*";

    /// <summary>
    /// Parses the space-separated <c>scope</c> claim: v2 <c>context/Type.cruds</c> (any subset in that order) and
    /// the v1 aliases <c>.read</c> (= rs), <c>.write</c> (= cud) and <c>.*</c> (= cruds). Scopes with v2 search
    /// constraints (<c>?param=value</c>) are not granted at all: honouring half of one would grant more than meant.
    /// Other scopes (openid, launch, system/admin…) are no clinical-data scopes and are skipped.
    /// </summary>
    public static IReadOnlyList<SmartScope> Parse(string? scopes)
    {
        var parsed = new List<SmartScope>();
        foreach (var text in (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryParse(text, out var scope))
            {
                parsed.Add(scope);
            }
        }

        return parsed;
    }

    public static bool TryParse(string text, out SmartScope scope)
    {
        scope = null!;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var dot = text.LastIndexOf('.');
        if (slash <= 0 || dot <= slash + 1 || text.Contains('?', StringComparison.Ordinal))
        {
            return false;
        }

        ScopeContext? context = text[..slash] switch
        {
            "patient" => ScopeContext.Patient,
            "user" => ScopeContext.User,
            "system" => ScopeContext.System,
            _ => null,
        };
        var type = text[(slash + 1)..dot];
        var permissions = ParsePermissions(text[(dot + 1)..]);
        if (context is null || permissions == ScopePermissions.None || (type != AnyType && !type.All(char.IsAsciiLetter)))
        {
            return false;
        }

        scope = new SmartScope(context.Value, type, permissions);
        return true;
    }

    private static ScopePermissions ParsePermissions(string text) => text switch
    {
        "read" => ScopePermissions.Read | ScopePermissions.Search,
        "write" => ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete,
        "*" => ScopePermissions.All,
        _ => V2(text),
    };

    /// <summary>A non-empty subsequence of "cruds", in that order (SMART v2 §Scopes: "cruds" order is required).</summary>
    private static ScopePermissions V2(string text)
    {
        const string order = "cruds";
        var result = ScopePermissions.None;
        var position = 0;
        foreach (var c in text)
        {
            var index = order.IndexOf(c, position);
            if (index < 0)
            {
                return ScopePermissions.None;
            }

            result |= (ScopePermissions)(1 << index);
            position = index + 1;
        }

        return result;
    }

    /// <summary>The scope in SMART v2 form (<c>patient/Observation.rs</c>), which <see cref="TryParse"/> reads back.</summary>
    public override string ToString()
    {
        var letters = string.Concat("cruds".Where((_, i) => Permissions.HasFlag((ScopePermissions)(1 << i))));
        return $"{Context.ToString().ToLowerInvariant()}/{ResourceType}.{letters}";
    }

    /// <summary>
    /// True when this scope covers <paramref name="type"/>. The wildcard never covers AuditEvent: reading the
    /// audit trail takes an explicit <c>AuditEvent</c> scope (the auditor's, ADR 0011).
    /// </summary>
    public bool Covers(string type) => ResourceType == type || (ResourceType == AnyType && type != AuditTrail.ResourceType);
}
