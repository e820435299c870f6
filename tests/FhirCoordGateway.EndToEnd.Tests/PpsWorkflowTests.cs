using System.Net;
using FhirCoordGateway.Core.Workflows;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The PPS workflow of issue 7 through FhirClient and the real PostgreSQL: a draft becomes active only through
/// the médecin traitant's $validate-by-mt, never by a direct write (PUT, PATCH, transaction), revisions keep the
/// validation, and the revision-date job gives the MT one review Task per overdue plan version.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PpsWorkflowTests(GatewayFactory gateway)
{
    private readonly FhirClient _fhir = gateway.Fhir();

    [Fact]
    public async Task The_mt_validates_a_draft_which_becomes_active_in_one_new_version()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);

        var active = await WorkflowData.ValidateAsync(gateway, pps.Plan.Id, pps.MtRole);

        Assert.Equal(RequestStatus.Active, active.Status);
        Assert.Equal("2", active.Meta.VersionId);
        Assert.Equal(pps.MtRole, PpsPlan.Validator(active));
        var at = PpsPlan.MtValidation(active)!.GetExtensionValue<FhirDateTime>("dateTime");
        Assert.True((DateTimeOffset.UtcNow - at.ToDateTimeOffset(TimeSpan.Zero)).Duration() < TimeSpan.FromMinutes(5));
        var stored = (await _fhir.ReadAsync<CarePlan>($"CarePlan/{pps.Plan.Id}"))!;
        Assert.Equal(RequestStatus.Active, stored.Status);
        var validated = await _fhir.SearchAsync<CarePlan>([$"_id={pps.Plan.Id}", "mt-validated=ge2020-01-01"]);
        Assert.Single(validated!.Entry);
    }

    [Fact]
    public async Task The_practitioner_behind_the_mt_role_or_the_care_circle_pcp_may_validate()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var byPerson = await WorkflowData.ValidateAsync(gateway, pps.Plan.Id, pps.MtPractitioner);
        Assert.Equal(pps.MtPractitioner, PpsPlan.Validator(byPerson));

        // A patient without generalPractitioner: the care circle's current PCP is the MT.
        var patient = TestData.Patient();
        patient = (await _fhir.CreateAsync(patient))!;
        var plan = (await _fhir.CreateAsync(WorkflowData.Plan(patient.Id, pps.MtRole, pps.CareTeam, "2027-01-01")))!;
        var byPcp = await WorkflowData.ValidateAsync(gateway, plan.Id, pps.MtRole);
        Assert.Equal(RequestStatus.Active, byPcp.Status);
    }

    [Fact]
    public async Task A_practitioner_who_is_not_the_mt_is_refused_and_the_plan_stays_draft()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => WorkflowData.ValidateAsync(gateway, pps.Plan.Id, pps.OtherRole));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        var issue = Assert.Single(error.Outcome.Issue);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, issue.Code);
        Assert.Equal(["Parameters.parameter.where(name = 'validator').value"], issue.Expression);
        var stored = (await _fhir.ReadAsync<CarePlan>($"CarePlan/{pps.Plan.Id}"))!;
        Assert.Equal(RequestStatus.Draft, stored.Status);
        Assert.Equal("1", stored.Meta.VersionId);
    }

    [Fact]
    public async Task With_security_on_the_validator_is_the_caller_named_by_the_token()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var asMt = WorkflowData.As(gateway, "https://idp.example/fhir/" + pps.MtPractitioner);

        // No body, so no validator parameter: the token's fhirUser (an absolute URL here) is the validator.
        var response = await gateway.ClientWith(WorkflowData.TokenOf("https://idp.example/fhir/" + pps.MtPractitioner))
            .PostAsync($"/fhir/CarePlan/{pps.Plan.Id}/$validate-by-mt", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var active = (CarePlan)new FhirJsonDeserializer().DeserializeResource(await response.Content.ReadAsStringAsync());
        Assert.Equal(RequestStatus.Active, active.Status);
        Assert.Equal(pps.MtPractitioner, PpsPlan.Validator(active));

        // A validator parameter naming the caller's own PractitionerRole agrees with the token: the role is recorded.
        var again = (CarePlan)(await asMt.InstanceOperationAsync(new Uri($"CarePlan/{pps.Plan.Id}", UriKind.Relative), "validate-by-mt", WorkflowData.Validator(pps.MtRole)))!;
        Assert.Equal(pps.MtRole, PpsPlan.Validator(again));
        Assert.Equal("3", again.Meta.VersionId);
    }

    [Fact]
    public async Task With_security_on_a_validator_other_than_the_caller_or_a_token_without_practitioner_is_refused()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var other = WorkflowData.As(gateway, pps.OtherRole);

        // The other nurse names the MT as validator: the parameter disagrees with the token.
        var impersonation = await Assert.ThrowsAsync<FhirOperationException>(() =>
            other.InstanceOperationAsync(new Uri($"CarePlan/{pps.Plan.Id}", UriKind.Relative), "validate-by-mt", WorkflowData.Validator(pps.MtRole)));
        Assert.Equal(HttpStatusCode.Forbidden, impersonation.Status);
        var issue = Assert.Single(impersonation.Outcome.Issue);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, issue.Code);
        Assert.Equal(["Parameters.parameter.where(name = 'validator').value"], issue.Expression);

        // A backend token (no fhirUser) cannot validate, even naming the MT.
        var system = await Assert.ThrowsAsync<FhirOperationException>(() =>
            WorkflowData.As(gateway, null).InstanceOperationAsync(new Uri($"CarePlan/{pps.Plan.Id}", UriKind.Relative), "validate-by-mt", WorkflowData.Validator(pps.MtRole)));
        Assert.Equal(HttpStatusCode.Forbidden, system.Status);
        Assert.Equal(OperationOutcome.IssueType.Forbidden, system.Outcome.Issue[0].Code);

        var stored = (await _fhir.ReadAsync<CarePlan>($"CarePlan/{pps.Plan.Id}"))!;
        Assert.Equal(RequestStatus.Draft, stored.Status);
        Assert.Equal("1", stored.Meta.VersionId);
    }

    [Fact]
    public async Task Validation_without_a_validator_or_of_an_unknown_plan_is_an_outcome()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var missing = await Assert.ThrowsAsync<FhirOperationException>(() =>
            _fhir.InstanceOperationAsync(new Uri($"CarePlan/{pps.Plan.Id}", UriKind.Relative), "validate-by-mt",
                new Parameters { Parameter = [new() { Name = "validator", Value = new FhirString("Dr House") }] }));
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal(OperationOutcome.IssueType.Invalid, missing.Outcome.Issue[0].Code);
        Assert.Equal(["Parameters.parameter.where(name = 'validator').value"], missing.Outcome.Issue[0].Expression);

        var unknown = await Assert.ThrowsAsync<FhirOperationException>(() => WorkflowData.ValidateAsync(gateway, "no-such-plan-7f3a", pps.MtRole));
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task A_direct_put_that_activates_a_pps_is_refused_even_with_a_forged_validation()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var plan = pps.Plan;
        plan.Status = RequestStatus.Active;
        PpsPlan.SetMtValidation(plan, pps.MtRole, DateTimeOffset.UtcNow);

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.UpdateAsync(plan));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["CarePlan.status"], error.Outcome.Issue[0].Expression);
        Assert.Equal(RequestStatus.Draft, (await _fhir.ReadAsync<CarePlan>($"CarePlan/{plan.Id}"))!.Status);
    }

    [Fact]
    public async Task Creating_an_active_pps_is_refused()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var plan = WorkflowData.Plan(pps.Patient.Id, pps.MtRole, pps.CareTeam, "2027-01-01");
        plan.Status = RequestStatus.Active;

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.CreateAsync(plan));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["CarePlan.status"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task A_patch_that_activates_a_pps_is_refused()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var replace = new Parameters.ParameterComponent { Name = "operation" };
        replace.Part.Add(new() { Name = "type", Value = new Code("replace") });
        replace.Part.Add(new() { Name = "path", Value = new FhirString("CarePlan.status") });
        replace.Part.Add(new() { Name = "value", Value = new Code("active") });

        var error = await Assert.ThrowsAsync<FhirOperationException>(() =>
            _fhir.PatchAsync(new Uri($"CarePlan/{pps.Plan.Id}", UriKind.Relative), new Parameters { Parameter = [replace] }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["CarePlan.status"], error.Outcome.Issue[0].Expression);
    }

    [Fact]
    public async Task A_transaction_that_activates_a_pps_is_refused_and_writes_nothing()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var plan = pps.Plan;
        plan.Status = RequestStatus.Active;
        var note = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference($"Patient/{pps.Patient.Id}") };
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { Resource = note, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" } },
                new() { Resource = plan, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"CarePlan/{plan.Id}" } },
            ],
        };

        var error = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.TransactionAsync(bundle));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal(["Bundle.entry[1].resource.status"], error.Outcome.Issue[0].Expression);
        Assert.Equal(RequestStatus.Draft, (await _fhir.ReadAsync<CarePlan>($"CarePlan/{plan.Id}"))!.Status);
        Assert.Empty((await _fhir.SearchAsync<Observation>([$"subject=Patient/{pps.Patient.Id}"]))!.Entry);
    }

    [Fact]
    public async Task A_revision_of_an_active_plan_is_a_new_version_that_keeps_the_validation_but_cannot_change_it()
    {
        var pps = await WorkflowData.PpsAsync(_fhir);
        var active = await WorkflowData.ValidateAsync(gateway, pps.Plan.Id, pps.MtRole);

        active.Activity.Add(new CarePlan.ActivityComponent { Detail = new CarePlan.DetailComponent { Status = CarePlan.CarePlanActivityStatus.Scheduled, Description = "Kinésithérapie 2x/semaine" } });
        var revised = (await _fhir.UpdateAsync(active))!;
        Assert.Equal("3", revised.Meta.VersionId);
        Assert.Equal(RequestStatus.Active, revised.Status);
        Assert.Equal(pps.MtRole, PpsPlan.Validator(revised));

        PpsPlan.SetMtValidation(revised, pps.MtPractitioner, DateTimeOffset.UtcNow);
        var forged = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.UpdateAsync(revised));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forged.Status);
        Assert.StartsWith("CarePlan.extension(", forged.Outcome.Issue[0].Expression.Single());

        // Out of active and back again needs the MT once more.
        var suspended = (await _fhir.ReadAsync<CarePlan>($"CarePlan/{pps.Plan.Id}"))!;
        suspended.Status = RequestStatus.OnHold;
        suspended = (await _fhir.UpdateAsync(suspended))!;
        suspended.Status = RequestStatus.Active;
        var reactivated = await Assert.ThrowsAsync<FhirOperationException>(() => _fhir.UpdateAsync(suspended));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reactivated.Status);
    }

    [Fact]
    public async Task The_revision_job_gives_the_mt_one_review_task_per_overdue_plan_version()
    {
        var overdue = await WorkflowData.PpsAsync(_fhir, revisionDate: "2026-01-15");
        var notDue = await WorkflowData.PpsAsync(_fhir, revisionDate: "2026-09-01");
        var draftOverdue = await WorkflowData.PpsAsync(_fhir, revisionDate: "2026-01-15");
        await WorkflowData.ValidateAsync(gateway, overdue.Plan.Id, overdue.MtRole);
        await WorkflowData.ValidateAsync(gateway, notDue.Plan.Id, notDue.MtRole);
        var review = gateway.Services.GetRequiredService<PpsRevisionReview>();
        var today = new DateOnly(2026, 6, 1);

        var first = await review.RunAsync(today, CancellationToken.None);
        var second = await review.RunAsync(today, CancellationToken.None);

        var expectedId = PpsRevisionReview.TaskId(overdue.Plan.Id, 2);
        Assert.Contains(expectedId, first);
        Assert.DoesNotContain(expectedId, second);
        var tasks = await _fhir.SearchAsync<FhirTask>([$"focus=CarePlan/{overdue.Plan.Id}"]);
        var task = (FhirTask)Assert.Single(tasks!.Entry).Resource;
        Assert.Equal(expectedId, task.Id);
        Assert.Equal(FhirTask.TaskStatus.Requested, task.Status);
        Assert.Equal(overdue.MtRole, task.Owner.Reference);
        Assert.Equal($"Patient/{overdue.Patient.Id}", task.For.Reference);
        Assert.Equal(WorkflowTasks.PpsReview, task.Code.Coding[0].Code);
        foreach (var other in new[] { notDue, draftOverdue })
        {
            Assert.Empty((await _fhir.SearchAsync<FhirTask>([$"focus=CarePlan/{other.Plan.Id}"]))!.Entry);
        }
    }

    [Fact]
    public async Task The_capability_statement_lists_the_workflow_operations()
    {
        var capabilities = (await _fhir.CapabilityStatementAsync())!;
        var rest = capabilities.Rest.Single();
        Assert.Contains(rest.Resource.Single(r => r.Type == "CarePlan").Operation, o => o.Name == "validate-by-mt");
        Assert.Contains(rest.Operation, o => o.Name == "coordination-report");
    }
}
