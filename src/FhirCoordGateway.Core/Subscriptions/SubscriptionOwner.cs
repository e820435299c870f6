using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Subscriptions;

/// <summary>
/// Who a Subscription delivers for: the access of the token that last wrote it (role, launch patient, fhirUser,
/// SMART scopes), kept as server-set <c>meta.tag</c>s of the stored Subscription, so that notifications and
/// <c>$events</c> carry only what that caller could read (ADR 0012). A Subscription without them (written with
/// security off, or before owners were recorded) delivers for nobody in particular: no restriction.
/// </summary>
public static class SubscriptionOwner
{
    public const string TagSystem = "urn:fhircoord:subscription-owner";

    private const string Role = "role:";
    private const string Patient = "patient:";
    private const string User = "user:";
    private const string Scope = "scope:";

    /// <summary>Replaces the owner tags of <paramref name="subscription"/> by those of <paramref name="owner"/> (none when null).</summary>
    public static void Stamp(Subscription subscription, RequestAccess? owner)
    {
        subscription.Meta ??= new Meta();
        var tags = subscription.Meta.Tag.Where(t => t.System != TagSystem).ToList();
        if (owner is not null)
        {
            tags.Add(Tag(Role + RoleCode(owner.Role)));
            if (owner.Patient is { } patient)
            {
                tags.Add(Tag(Patient + patient));
            }

            if (owner.FhirUser is { } user)
            {
                tags.Add(Tag(User + user));
            }

            tags.AddRange(owner.Scopes.Select(s => Tag(Scope + s)));
        }

        subscription.Meta.Tag = tags;
    }

    /// <summary>The owner recorded on <paramref name="subscription"/>, or null when none is.</summary>
    public static RequestAccess? Of(Subscription subscription)
    {
        var codes = subscription.Meta?.Tag.Where(t => t.System == TagSystem).Select(t => t.Code ?? "").ToList() ?? [];
        var role = codes.FirstOrDefault(c => c.StartsWith(Role, StringComparison.Ordinal))?[Role.Length..];
        if (role is null)
        {
            return null;
        }

        string? Value(string prefix) => codes.FirstOrDefault(c => c.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        var scopes = SmartScope.Parse(string.Join(' ', codes.Where(c => c.StartsWith(Scope, StringComparison.Ordinal)).Select(c => c[Scope.Length..])));
        return new RequestAccess(scopes, Value(Patient), ParseRole(role), clientId: null, subject: null, Value(User), isAdmin: false);
    }

    private static Coding Tag(string code) => new(TagSystem, code);

    private static string RoleCode(CallerRole role) => role switch
    {
        CallerRole.Professional => "professional",
        CallerRole.Patient => "patient",
        CallerRole.LegalRepresentative => "legal-representative",
        _ => "system",
    };

    /// <summary>An unknown role reads as the most restricted one (a legal representative's), never as a system's.</summary>
    private static CallerRole ParseRole(string code) => code switch
    {
        "system" => CallerRole.System,
        "professional" => CallerRole.Professional,
        "patient" => CallerRole.Patient,
        _ => CallerRole.LegalRepresentative,
    };
}

/// <summary>
/// Records the writer of every Subscription version as its owner (<see cref="SubscriptionOwner"/>): a request's
/// token replaces whatever owner tags the client sent; the server's own writes (status changes by the delivery
/// job, outside any request) keep the owner of the version they replace.
/// </summary>
public sealed class SubscriptionOwnerRule(RequestSecurityAccessor? requests) : IVersionRule
{
    public ValueTask CheckAsync(VersionChange change, IResourceUnitOfWork uow, CancellationToken ct)
    {
        if (change.Next is Subscription subscription)
        {
            var owner = requests?.Current is { } request
                ? request.Access
                : change.PreviousResource is Subscription previous ? SubscriptionOwner.Of(previous) : null;
            SubscriptionOwner.Stamp(subscription, owner);
        }

        return ValueTask.CompletedTask;
    }
}
