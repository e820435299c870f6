using FhirCoordGateway.Core.Export;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Tests.Security;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Export;

/// <summary>Bulk export: kick-off parameters, the types each token exports, and the authorization of each level (ADR 0015).</summary>
public sealed class ExportPlanTests
{
    private static ExportRequest Request(ExportLevel level, params string[] types) =>
        new(level, level == ExportLevel.Group ? "g-7f3a21" : null, types, null, "https://gw.example/fhir/$export", null);

    [Fact]
    public void GivenWildcardSystemToken_WhenNoTypeAsked_ThenEveryTypeButAuditEvent()
    {
        var plan = ExportPlan.For(Request(ExportLevel.System), SmartScopeTests.Access("system/*.rs", null));

        Assert.Contains("Observation", plan.Types);
        Assert.Contains("Practitioner", plan.Types);
        Assert.DoesNotContain("AuditEvent", plan.Types);
        Assert.Empty(plan.Skipped);
        Assert.Equal(plan.Types.Order(StringComparer.Ordinal), plan.Types);
    }

    [Fact]
    public void GivenPatientLevel_WhenNoTypeAsked_ThenOnlyPatientCompartmentTypes()
    {
        var plan = ExportPlan.For(Request(ExportLevel.Patient), SmartScopeTests.Access("patient/*.rs", "p-7f3a21"));

        Assert.Contains("Patient", plan.Types);
        Assert.Contains("DocumentReference", plan.Types);
        Assert.DoesNotContain("Practitioner", plan.Types);
        Assert.DoesNotContain("Organization", plan.Types);
    }

    [Fact]
    public void GivenExplicitTypes_WhenOneIsNotGranted_ThenItIsSkippedAsRefusedAndTheOthersKept()
    {
        var plan = ExportPlan.For(Request(ExportLevel.System, "Patient", "Observation"), SmartScopeTests.Access("system/Patient.rs", null));

        Assert.Equal(["Patient"], plan.Types);
        var skip = Assert.Single(plan.Skipped);
        Assert.Equal("Observation", skip.ResourceType);
        Assert.True(skip.Refused);
    }

    [Fact]
    public void GivenPatientLevel_WhenAskedForATypeOutsideTheCompartment_ThenSkippedAsNotHeld()
    {
        var plan = ExportPlan.For(Request(ExportLevel.Patient, "Practitioner", "Observation"), null);

        Assert.Equal(["Observation"], plan.Types);
        Assert.False(Assert.Single(plan.Skipped).Refused);
    }

    [Theory]
    [InlineData("system/Patient.r system/Patient.s", true)]   // r and s may come from two scopes
    [InlineData("system/Patient.r", false)]                    // read without search is not enough
    [InlineData("system/Patient.read", true)]                  // v1 alias
    public void GivenScopes_ThenExportGrantedOnlyWithReadAndSearch(string scopes, bool granted)
    {
        var plan = ExportPlan.For(Request(ExportLevel.System, "Patient"), SmartScopeTests.Access(scopes, null));

        Assert.Equal(granted, plan.Types.Count == 1);
    }

    [Theory]
    [InlineData(null, "system/*.rs", true)]
    [InlineData(null, "user/*.rs", true)]
    [InlineData(null, "patient/*.rs", false)]        // a patient token exports its own compartment through Patient/$export
    [InlineData(null, "system/*.r", false)]
    [InlineData("Patient", "patient/*.rs", true)]
    [InlineData("Patient", "patient/Observation.rs", false)]
    [InlineData("Patient", "system/Patient.rs", true)]
    [InlineData("Group", "system/*.rs", true)]
    [InlineData("Group", "patient/*.rs", false)]     // a group spans patients
    public void GivenKickOff_ThenAuthorizedByLevel(string? type, string scopes, bool allowed)
    {
        var request = new FhirRequestContext(FhirInteraction.Operation, type, type == "Group" ? "g1" : null, "export");
        var access = SmartScopeTests.Access(scopes, "p-7f3a21");

        if (allowed)
        {
            SmartAuthorizer.Authorize(request, access);
        }
        else
        {
            Assert.Equal(FailureKind.Forbidden, Assert.Throws<FhirOutcomeException>(() => SmartAuthorizer.Authorize(request, access)).Kind);
        }
    }

    [Fact]
    public void GivenParameters_ThenTypesSinceAndFormatParsed()
    {
        var parsed = ExportParameters.Parse(
            [new("_type", "Patient,Observation"), new("_type", "Patient"), new("_since", "2026-11-22T10:00:00+01:00"), new("_outputFormat", "ndjson")], lenient: false);

        Assert.Equal(["Patient", "Observation"], parsed.Types);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero), parsed.Since);
    }

    [Fact]
    public void GivenSinceWithUnencodedPlus_ThenStillParsed() =>
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero),
            ExportParameters.Parse([new("_since", "2026-11-22T10:00:00 01:00")], lenient: false).Since);

    [Theory]
    [InlineData("_type", "Patient,NotAType", "_type", OperationOutcome.IssueType.Invalid)]
    [InlineData("_since", "2026-11-22", "_since", OperationOutcome.IssueType.Invalid)]
    [InlineData("_since", "yesterday", "_since", OperationOutcome.IssueType.Invalid)]
    [InlineData("_outputFormat", "application/fhir+json", "_outputFormat", OperationOutcome.IssueType.Invalid)]
    [InlineData("_typeFilter", "Observation?code=x", "_typeFilter", OperationOutcome.IssueType.NotSupported)]
    public void GivenBadParameter_Then400AtItsLocation(string name, string value, string expression, OperationOutcome.IssueType code)
    {
        var error = Assert.Throws<FhirOutcomeException>(() => ExportParameters.Parse([new(name, value)], lenient: false));

        Assert.Equal(400, error.Status);
        Assert.Equal(code, error.Outcome.Issue[0].Code);
        Assert.Equal([expression], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public void GivenUnsupportedParameter_WhenLenient_ThenIgnored() =>
        Assert.Empty(ExportParameters.Parse([new("_typeFilter", "Observation?code=x")], lenient: true).Types);

    [Fact]
    public void GivenGroup_ThenActivePatientMembersOnce()
    {
        var group = new Group
        {
            Member =
            [
                new Group.MemberComponent { Entity = new ResourceReference("Patient/p1") },
                new Group.MemberComponent { Entity = new ResourceReference("Patient/p2"), Inactive = true },
                new Group.MemberComponent { Entity = new ResourceReference("Practitioner/d1") },
                new Group.MemberComponent { Entity = new ResourceReference("Patient/p1") },
                new Group.MemberComponent { Entity = new ResourceReference("https://other.example/fhir/Patient/p3") },
            ],
        };

        Assert.Equal(["p1", "p3"], GroupMembers.PatientIds(group));
    }
}
