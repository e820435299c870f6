using System.Security.Claims;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;

namespace FhirCoordGateway.Core.Security;

/// <summary>How far a request may reach a resource type for one permission.</summary>
public enum AccessLevel
{
    Denied,

    /// <summary>Only resources of the launch patient's compartment (a <c>patient/</c> scope).</summary>
    Compartment,

    Full,
}

/// <summary>The caller's role for French visibility labels (ADR 0012).</summary>
public enum CallerRole
{
    /// <summary>A backend system acting for no person: no visibility label hides anything from it.</summary>
    System,
    Professional,
    Patient,
    LegalRepresentative,
}

/// <summary>
/// Who is calling and what the token grants, read once from the validated token's claims. The single policy
/// every check asks: <see cref="Level"/> per type and permission. ADR 0011.
/// </summary>
public sealed class RequestAccess
{
    public const string ScopeClaim = "scope";
    public const string PatientClaim = "patient";
    public const string ClientIdClaim = "client_id";
    public const string FhirUserClaim = "fhirUser";
    public const string RoleClaim = "fhircoord_role";

    public RequestAccess(IReadOnlyList<SmartScope> scopes, string? patient, CallerRole role, string? clientId, string? subject, string? fhirUser, bool isAdmin)
    {
        Scopes = scopes;
        Patient = patient;
        Role = role;
        ClientId = clientId;
        Subject = subject;
        FhirUser = fhirUser;
        IsAdmin = isAdmin;
    }

    public IReadOnlyList<SmartScope> Scopes { get; }

    /// <summary>The launch patient (claim <c>patient</c>), which <c>patient/</c> scopes are confined to.</summary>
    public string? Patient { get; }

    public CallerRole Role { get; }

    public string? ClientId { get; }

    public string? Subject { get; }

    public string? FhirUser { get; }

    /// <summary>
    /// <see cref="FhirUser"/> in the form the search index keeps references (<c>Type/id</c> for a relative one, the URL
    /// otherwise), or null without the claim: what a DocumentReference's author is compared with (ADR 0012).
    /// </summary>
    public ReferenceIndexEntry? FhirUserReference => FhirUser is { Length: > 0 } user ? ReferenceSearchParameter.Parse(user) : null;

    /// <summary>True with the administration scope (reindexing, the Hangfire dashboard).</summary>
    public bool IsAdmin { get; }

    public static RequestAccess From(ClaimsPrincipal user, string adminScope)
    {
        var scopeText = string.Join(' ', user.FindAll(ScopeClaim).Select(c => c.Value));
        var scopes = SmartScope.Parse(scopeText);
        var patient = user.FindFirst(PatientClaim)?.Value;
        var role = user.FindFirst(RoleClaim)?.Value switch
        {
            "professional" => CallerRole.Professional,
            "patient" => CallerRole.Patient,
            "legal-representative" => CallerRole.LegalRepresentative,
            // No role claim: a patient-facing app is the patient's, a user's app a professional's; a backend is a system.
            _ when scopes.Count > 0 && scopes.All(s => s.Context == ScopeContext.Patient) => CallerRole.Patient,
            _ when scopes.Any(s => s.Context == ScopeContext.User) => CallerRole.Professional,
            _ => CallerRole.System,
        };
        var isAdmin = scopeText.Split(' ').Contains(adminScope, StringComparer.Ordinal);
        return new RequestAccess(scopes, patient, role, user.FindFirst(ClientIdClaim)?.Value ?? user.FindFirst("azp")?.Value,
            user.FindFirst("sub")?.Value, user.FindFirst(FhirUserClaim)?.Value, isAdmin);
    }

    /// <summary>
    /// <see cref="AccessLevel.Full"/> through a <c>system/</c> or <c>user/</c> scope; <see cref="AccessLevel.Compartment"/>
    /// through a <c>patient/</c> scope when the token names a patient and the type can belong to a patient compartment.
    /// </summary>
    public AccessLevel Level(string type, ScopePermissions needed)
    {
        var level = AccessLevel.Denied;
        foreach (var scope in Scopes)
        {
            if ((scope.Permissions & needed) != needed || !scope.Covers(type))
            {
                continue;
            }

            if (scope.Context != ScopeContext.Patient)
            {
                return AccessLevel.Full;
            }

            if (Patient is not null && (type == "Patient" || CompartmentDefinitions.Patient.ContainsKey(type)))
            {
                level = AccessLevel.Compartment;
            }
        }

        return level;
    }

    /// <summary>The least of the levels over several types (a search returning them all).</summary>
    public AccessLevel Level(IEnumerable<string> types, ScopePermissions needed)
    {
        var least = AccessLevel.Full;
        foreach (var type in types)
        {
            var level = Level(type, needed);
            if (level < least)
            {
                least = level;
            }
        }

        return least;
    }

    public override string ToString() => $"client {ClientId}";
}
