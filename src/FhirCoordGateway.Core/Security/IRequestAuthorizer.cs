using System.Security.Claims;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// The single authorization point: every FHIR endpoint calls it before doing anything. It throws a
/// <see cref="Outcomes.FhirOutcomeException"/> (401/403) to refuse.
/// </summary>
public interface IRequestAuthorizer
{
    ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct);
}

/// <summary>Lets every request through (but AuditEvent writes, refused whatever the policy): the policy until authentication is configured.</summary>
public sealed class AllowAllAuthorizer : IRequestAuthorizer
{
    public ValueTask AuthorizeAsync(FhirRequestContext request, ClaimsPrincipal user, CancellationToken ct)
    {
        AuditTrail.EnsureAllowed(request);
        return ValueTask.CompletedTask;
    }
}
