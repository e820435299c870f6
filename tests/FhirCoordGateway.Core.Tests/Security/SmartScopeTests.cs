using System.Security.Claims;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;

namespace FhirCoordGateway.Core.Tests.Security;

/// <summary>SMART v2 scopes, v1 aliases, wildcards and the access level each interaction gets from them.</summary>
public sealed class SmartScopeTests
{
    [Theory]
    [InlineData("patient/Observation.rs", ScopeContext.Patient, "Observation", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/*.cruds", ScopeContext.User, "*", ScopePermissions.All)]
    [InlineData("system/Patient.c", ScopeContext.System, "Patient", ScopePermissions.Create)]
    [InlineData("system/Patient.ud", ScopeContext.System, "Patient", ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("patient/*.read", ScopeContext.Patient, "*", ScopePermissions.Read | ScopePermissions.Search)]
    [InlineData("user/Observation.write", ScopeContext.User, "Observation", ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete)]
    [InlineData("system/*.*", ScopeContext.System, "*", ScopePermissions.All)]
    public void GivenScope_ThenParsed(string text, ScopeContext context, string type, ScopePermissions permissions)
    {
        Assert.True(SmartScope.TryParse(text, out var scope));
        Assert.Equal(new SmartScope(context, type, permissions), scope);
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("launch/patient")]
    [InlineData("system/admin")]
    [InlineData("patient/Observation.sr")] // v2 requires the cruds order
    [InlineData("patient/Observation.rr")]
    [InlineData("patient/Observation.x")]
    [InlineData("clinic/Observation.rs")]
    [InlineData("patient/Observation.rs?category=laboratory")] // constrained scopes are not granted at all
    [InlineData("patient/Obs-ervation.rs")]
    public void GivenNoClinicalScope_ThenNotParsed(string text) => Assert.False(SmartScope.TryParse(text, out _));

    [Theory]
    [InlineData("system/*.cruds", "Observation", ScopePermissions.Read, AccessLevel.Full)]
    [InlineData("system/*.cruds", "AuditEvent", ScopePermissions.Search, AccessLevel.Denied)]
    [InlineData("system/AuditEvent.rs", "AuditEvent", ScopePermissions.Search, AccessLevel.Full)]
    [InlineData("system/Patient.r", "Patient", ScopePermissions.Search, AccessLevel.Denied)]
    [InlineData("system/Patient.r system/Patient.s", "Patient", ScopePermissions.Search, AccessLevel.Full)]
    [InlineData("user/Observation.rs", "Observation", ScopePermissions.Read, AccessLevel.Full)]
    [InlineData("user/Observation.rs", "Patient", ScopePermissions.Read, AccessLevel.Denied)]
    [InlineData("patient/*.rs", "Observation", ScopePermissions.Read, AccessLevel.Compartment)]
    [InlineData("patient/*.rs", "Observation", ScopePermissions.Create, AccessLevel.Denied)]
    [InlineData("patient/*.rs", "Practitioner", ScopePermissions.Read, AccessLevel.Denied)] // no Patient compartment membership
    [InlineData("patient/*.rs system/Observation.r", "Observation", ScopePermissions.Read, AccessLevel.Full)]
    public void GivenScopes_ThenLevel(string scopes, string type, ScopePermissions needed, AccessLevel expected)
    {
        var access = Access(scopes, patient: "p-7f3a21");

        Assert.Equal(expected, access.Level(type, needed));
    }

    [Fact]
    public void GivenPatientScopeWithoutPatientClaim_ThenDenied() =>
        Assert.Equal(AccessLevel.Denied, Access("patient/*.rs", patient: null).Level("Observation", ScopePermissions.Read));

    [Theory]
    [InlineData(FhirInteraction.Read, "system/Patient.r", true)]
    [InlineData(FhirInteraction.Read, "system/Patient.s", false)]
    [InlineData(FhirInteraction.VRead, "system/Patient.r", true)]
    [InlineData(FhirInteraction.HistoryInstance, "system/Patient.r", true)]
    [InlineData(FhirInteraction.HistoryType, "system/Patient.s", false)]
    [InlineData(FhirInteraction.Create, "system/Patient.c", true)]
    [InlineData(FhirInteraction.Create, "system/Patient.rus", false)]
    [InlineData(FhirInteraction.Update, "system/Patient.u", true)]
    [InlineData(FhirInteraction.Update, "system/Patient.c", false)]
    [InlineData(FhirInteraction.Patch, "system/Patient.u", true)]
    [InlineData(FhirInteraction.Patch, "system/Patient.crds", false)]
    [InlineData(FhirInteraction.Delete, "system/Patient.d", true)]
    [InlineData(FhirInteraction.Delete, "system/Patient.cru", false)]
    [InlineData(FhirInteraction.SearchType, "system/Patient.s", true)]
    [InlineData(FhirInteraction.SearchType, "system/Patient.r", false)]
    [InlineData(FhirInteraction.SearchType, "system/Observation.s", false)]
    [InlineData(FhirInteraction.HistorySystem, "system/*.r", true)]
    [InlineData(FhirInteraction.HistorySystem, "system/Patient.r", false)]
    [InlineData(FhirInteraction.SearchSystem, "system/Patient.s", true)]
    [InlineData(FhirInteraction.SearchSystem, "system/Patient.r", false)]
    [InlineData(FhirInteraction.Transaction, "system/Patient.r", true)]
    public void GivenInteraction_ThenNeedsItsPermission(FhirInteraction interaction, string scopes, bool allowed)
    {
        var request = new FhirRequestContext(interaction, interaction is FhirInteraction.HistorySystem or FhirInteraction.SearchSystem or FhirInteraction.Transaction ? null : "Patient", null);

        AssertDecision(request, scopes, allowed);
    }

    [Theory]
    [InlineData("validate", "Patient", "system/Patient.r", true)]
    [InlineData("validate", "Patient", "system/Observation.r", false)]
    [InlineData("expand", "ValueSet", "system/ValueSet.r", true)]
    [InlineData("expand", "ValueSet", "system/Patient.r", false)]
    [InlineData("validate-code", "CodeSystem", "system/CodeSystem.r", true)]
    [InlineData("everything", "Patient", "patient/*.rs", true)]
    [InlineData("everything", "Patient", "patient/Observation.rs", false)]
    [InlineData("retry", "Task", "system/Task.u", true)]
    [InlineData("retry", "Task", "system/Task.rs", false)]
    [InlineData("mssante-acknowledgement", null, "system/Task.u", true)]
    [InlineData("mssante-acknowledgement", null, "system/Patient.u", false)]
    [InlineData("reindex", null, "system/*.cruds", false)]
    [InlineData("reindex", null, "system/admin", true)]
    [InlineData("unknown-op", "Patient", "system/*.cruds", false)]
    public void GivenOperation_ThenNeedsItsScope(string operation, string? type, string scopes, bool allowed) =>
        AssertDecision(new FhirRequestContext(FhirInteraction.Operation, type, null, operation), scopes, allowed);

    [Theory]
    [InlineData(FhirInteraction.Create)]
    [InlineData(FhirInteraction.Update)]
    [InlineData(FhirInteraction.Patch)]
    [InlineData(FhirInteraction.Delete)]
    public void GivenAuditEventWrite_ThenMethodNotAllowedEvenForTheAuditor(FhirInteraction interaction)
    {
        var error = Assert.Throws<FhirOutcomeException>(() =>
            SmartAuthorizer.Authorize(new FhirRequestContext(interaction, "AuditEvent", "a1"), Access("system/AuditEvent.cruds system/*.cruds", null)));

        Assert.Equal(FailureKind.MethodNotAllowed, error.Kind);
    }

    [Theory]
    [InlineData(null, "patient/*.rs", CallerRole.Patient)]
    [InlineData(null, "user/*.cruds", CallerRole.Professional)]
    [InlineData(null, "system/*.cruds", CallerRole.System)]
    [InlineData("legal-representative", "patient/*.rs", CallerRole.LegalRepresentative)]
    [InlineData("professional", "system/*.rs", CallerRole.Professional)]
    [InlineData("patient", "user/*.rs", CallerRole.Patient)]
    public void GivenRoleClaimOrNone_ThenRole(string? role, string scopes, CallerRole expected)
    {
        var claims = new List<Claim> { new(RequestAccess.ScopeClaim, scopes) };
        if (role is not null)
        {
            claims.Add(new Claim(RequestAccess.RoleClaim, role));
        }

        Assert.Equal(expected, RequestAccess.From(new ClaimsPrincipal(new ClaimsIdentity(claims, "test")), "system/admin").Role);
    }

    private static void AssertDecision(FhirRequestContext request, string scopes, bool allowed)
    {
        var access = Access(scopes, patient: "p-7f3a21");
        if (allowed)
        {
            SmartAuthorizer.Authorize(request, access);
            return;
        }

        var error = Assert.Throws<FhirOutcomeException>(() => SmartAuthorizer.Authorize(request, access));
        Assert.Equal(FailureKind.Forbidden, error.Kind);
        Assert.Equal(Hl7.Fhir.Model.OperationOutcome.IssueType.Forbidden, error.Outcome.Issue[0].Code);
    }

    internal static RequestAccess Access(string scopes, string? patient)
    {
        var claims = new List<Claim> { new(RequestAccess.ScopeClaim, scopes), new(RequestAccess.ClientIdClaim, "unit-client") };
        if (patient is not null)
        {
            claims.Add(new Claim(RequestAccess.PatientClaim, patient));
        }

        return RequestAccess.From(new ClaimsPrincipal(new ClaimsIdentity(claims, "test")), "system/admin");
    }
}
