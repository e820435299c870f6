using System.Security.Claims;
using FhirCoordGateway.Core.Export;
using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// SMART App Launch v2 scope checks at the single authorization point (ADR 0011): each interaction needs one
/// permission on its type; compartment and label visibility are enforced by the secured stores, which see
/// the actual resources. AuditEvent cannot be written through the API.
/// </summary>
public sealed class SmartAuthorizer(string adminScope) : IRequestAuthorizer
{
    public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct)
    {
        if (request.Interaction == FhirInteraction.Capabilities)
        {
            return ValueTask.CompletedTask;
        }

        if (user.Identity?.IsAuthenticated != true)
        {
            throw FhirOutcomeException.Of(FailureKind.Unauthorized, "An access token is required.");
        }

        Authorize(request, RequestAccess.From(user, adminScope));
        return ValueTask.CompletedTask;
    }

    public static void Authorize(FhirRequestContext request, RequestAccess access)
    {
        AuditTrail.EnsureAllowed(request);

        switch (request.Interaction)
        {
            case FhirInteraction.Batch or FhirInteraction.Transaction:
                return; // each entry is authorized on its own
            case FhirInteraction.Operation:
                AuthorizeOperation(request, access);
                return;
            case FhirInteraction.HistorySystem:
                // Entries of types the token cannot read are left out by the secured store; it takes a wildcard read.
                Require(access.Scopes.Any(s => s.ResourceType == SmartScope.AnyType && s.Permissions.HasFlag(ScopePermissions.Read)
                    && (s.Context != ScopeContext.Patient || access.Patient is not null)), "system history needs a wildcard read scope (*.r)");
                return;
            case FhirInteraction.SearchSystem:
                // The secured search store checks each searched type.
                Require(access.Scopes.Any(s => s.Permissions.HasFlag(ScopePermissions.Search)), "search needs a scope with the s permission");
                return;
            default:
                Require(request.ResourceType!, Needed(request.Interaction), access, request.Interaction.ToString());
                return;
        }
    }

    /// <summary>The SMART permission each interaction needs (history reads, searches search).</summary>
    public static ScopePermissions Needed(FhirInteraction interaction) => interaction switch
    {
        FhirInteraction.Create => ScopePermissions.Create,
        FhirInteraction.Update or FhirInteraction.Patch => ScopePermissions.Update,
        FhirInteraction.Delete => ScopePermissions.Delete,
        FhirInteraction.SearchType or FhirInteraction.SearchSystem => ScopePermissions.Search,
        _ => ScopePermissions.Read,
    };

    private static void AuthorizeOperation(FhirRequestContext request, RequestAccess access)
    {
        switch (request.Operation)
        {
            // Subscription $status and $events read what the Subscription's own events recorded.
            case "validate" or "expand" or "validate-code" or "everything" or "status" or "events":
                Require(request.ResourceType!, ScopePermissions.Read, access, "$" + request.Operation);
                return;
            case "retry":
                // Task/{id}/$retry re-queues a failed delivery: a change of that Task.
                Require(request.ResourceType!, ScopePermissions.Update, access, "$retry");
                return;
            case "mssante-acknowledgement":
                // An MDN marks its delivery acknowledged or rejected: a change of that delivery Task.
                Require("Task", ScopePermissions.Update, access, "$mssante-acknowledgement");
                return;
            case "reindex":
                Require(access.IsAdmin, "$reindex needs the administration scope");
                return;
            case "validate-by-mt":
                // CarePlan/{id}/$validate-by-mt writes the plan's next version (ADR 0013).
                Require(request.ResourceType!, ScopePermissions.Update, access, "$validate-by-mt");
                return;
            case "export":
                AuthorizeExport(request, access);
                return;
            case "export-status" or "export-file":
                // Polling, cancelling and downloading an export: its endpoints answer 404 to any client but the one
                // that started it (ADR 0015); the token must still be one that can export.
                Require(access.Scopes.Any(s => s.Permissions.HasFlag(ScopePermissions.Read)), $"${request.Operation} needs a scope granting 'r'");
                return;
            case "coordination-report":
                // Figures over every patient: not for a patient- or type-limited token (ADR 0013).
                Require(access.IsAdmin, "$coordination-report needs the administration scope");
                return;
            default:
                throw Forbidden($"the operation ${request.Operation} is not open to any scope");
        }
    }

    /// <summary>
    /// Bulk export (ADR 0015): system level for system/ and user/ tokens only; Patient level for any token granting
    /// 'rs' on Patient (a patient/ token gets its own compartment only); Group level needs full 'rs' on Group (a group
    /// spans patients). Which types are then written is decided per type by <see cref="ExportPlan"/>.
    /// </summary>
    private static void AuthorizeExport(FhirRequestContext request, RequestAccess access)
    {
        switch (request.ResourceType)
        {
            case null:
                Require(access.Scopes.Any(s => s.Context != ScopeContext.Patient && s.Permissions.HasFlag(ScopePermissions.Read))
                    && access.Scopes.Any(s => s.Context != ScopeContext.Patient && s.Permissions.HasFlag(ScopePermissions.Search)),
                    "a system-level $export needs system/ or user/ scopes granting 'rs' (a patient/ token may use Patient/$export)");
                return;
            case "Group":
                Require(ExportPlan.Level(access, "Group") == AccessLevel.Full, "Group/[id]/$export needs a system/ or user/ scope granting 'rs' on Group");
                return;
            default:
                Require(ExportPlan.Level(access, request.ResourceType) != AccessLevel.Denied, $"$export on {request.ResourceType} needs a scope granting 'rs' on {request.ResourceType}");
                return;
        }
    }

    private static void Require(string type, ScopePermissions needed, RequestAccess access, string what) =>
        Require(access.Level(type, needed) != AccessLevel.Denied, $"{what} on {type} needs a scope granting '{Letter(needed)}' on {type}");

    internal static void Require(bool granted, string why)
    {
        if (!granted)
        {
            throw Forbidden(why);
        }
    }

    internal static FhirOutcomeException Forbidden(string why) =>
        FhirOutcomeException.Of(FailureKind.Forbidden, $"Access denied: {why}.");

    internal static string Letter(ScopePermissions permission) => permission switch
    {
        ScopePermissions.Create => "c",
        ScopePermissions.Read => "r",
        ScopePermissions.Update => "u",
        ScopePermissions.Delete => "d",
        _ => "s",
    };
}
