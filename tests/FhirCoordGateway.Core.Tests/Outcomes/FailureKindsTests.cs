using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;
using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;

namespace FhirCoordGateway.Core.Tests.Outcomes;

/// <summary>The one table of STYLE.md §7 and https://hl7.org/fhir/R4/http.html#Status-Codes.</summary>
public class FailureKindsTests
{
    public static TheoryData<FailureKind, int, IssueType> Table => new()
    {
        { FailureKind.Invalid, 400, IssueType.Invalid },
        { FailureKind.Unauthorized, 401, IssueType.Login },
        { FailureKind.Forbidden, 403, IssueType.Forbidden },
        { FailureKind.NotFound, 404, IssueType.NotFound },
        { FailureKind.MethodNotAllowed, 405, IssueType.NotSupported },
        { FailureKind.NotAcceptable, 406, IssueType.NotSupported },
        { FailureKind.Conflict, 409, IssueType.Conflict },
        { FailureKind.Gone, 410, IssueType.Deleted },
        { FailureKind.PreconditionFailed, 412, IssueType.Conflict },
        { FailureKind.PayloadTooLarge, 413, IssueType.TooCostly },
        { FailureKind.UnsupportedMediaType, 415, IssueType.NotSupported },
        { FailureKind.Unprocessable, 422, IssueType.Processing },
        { FailureKind.TooManyRequests, 429, IssueType.Throttled },
        { FailureKind.Fault, 500, IssueType.Exception },
        { FailureKind.Unavailable, 503, IssueType.Transient },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void GivenKind_WhenMapping_ThenStatusAndIssueCodeFollowTheTable(FailureKind kind, int status, IssueType code)
    {
        Assert.Equal(status, kind.Status());
        Assert.Equal(code, kind.IssueCode());
    }

    [Fact]
    public void GivenEveryKind_WhenListingTheTable_ThenEachKindHasExactlyOneRow()
    {
        var kinds = Table.Select(row => (FailureKind)row[0]).ToList();

        Assert.Equal(Enum.GetValues<FailureKind>().Order(), kinds.Order());
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void GivenKind_WhenMakingException_ThenOneErrorIssueWithTheKindsCodeAndStatus(FailureKind kind, int status, IssueType code)
    {
        var e = FhirOutcomeException.Of(kind, "Something about Patient/pat-1.", "Patient.id");

        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.Status);
        Assert.Equal("Something about Patient/pat-1.", e.Message);
        var issue = Assert.Single(e.Outcome.Issue);
        Assert.Equal(OperationOutcome.IssueSeverity.Error, issue.Severity);
        Assert.Equal(code, issue.Code);
        Assert.Equal("Something about Patient/pat-1.", issue.Diagnostics);
        Assert.Equal(["Patient.id"], issue.Expression);
    }

    [Fact]
    public void GivenOutcomeWithoutIssues_WhenMakingException_ThenTheMessageIsTheKind()
    {
        var e = new FhirOutcomeException(FailureKind.Gone, new OperationOutcome());

        Assert.Equal("Gone", e.Message);
        Assert.Equal(410, e.Status);
    }
}
