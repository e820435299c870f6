using System.Globalization;
using System.Net;
using FhirCoordGateway.Core.Workflows;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// <c>$coordination-report</c> on a database of its own, filled with known data through FhirClient: PPS created,
/// validated and revised today; referrals and deliveries of March 2024 with known statuses and durations.
/// </summary>
public sealed class CoordinationReportTests : IClassFixture<CoordinationReportTests.Gateway>
{
    private const string DeliveryChannels = "https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-channel";
    private readonly GatewayFactory _gateway;
    private readonly FhirClient _fhir;
    private readonly FhirClient _admin;

    public CoordinationReportTests(Gateway gateway)
    {
        _gateway = gateway.Factory;
        _fhir = gateway.Factory.Fhir();
        _admin = gateway.Factory.FhirWith(TestTokens.Token($"{TestTokens.FullAccess} system/admin"));
    }

    [Fact]
    public async Task The_report_counts_pps_created_validated_and_revised_in_the_period()
    {
        var first = await WorkflowData.PpsAsync(_fhir);
        var second = await WorkflowData.PpsAsync(_fhir);
        await WorkflowData.PpsAsync(_fhir);
        await _fhir.CreateAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference($"Patient/{first.Patient.Id}") });
        var active = await WorkflowData.ValidateAsync(_gateway, first.Plan.Id, first.MtRole);
        await WorkflowData.ValidateAsync(_gateway, second.Plan.Id, second.MtRole);
        active.Title = "PPS révisé";
        active = (await _fhir.UpdateAsync(active))!;
        active.Title = "PPS révisé deux fois";
        await _fhir.UpdateAsync(active);
        var today = DateTime.UtcNow.Date;

        var report = await ReportAsync(("start", today.AddDays(-1)), ("end", today.AddDays(1)));

        Assert.Equal(3, Integer(report, "pps-created"));
        Assert.Equal(2, Integer(report, "pps-validated"));
        Assert.Equal(0.6667m, ((FhirDecimal)report.GetSingleValue<DataType>("pps-validation-rate")!).Value);
        Assert.Equal(2, Integer(report, "pps-revised"));
    }

    [Fact]
    public async Task The_report_gives_referrals_by_status_the_median_completion_and_deliveries_per_channel()
    {
        var specialist = await WorkflowData.RoleAsync(_fhir, $"{TestData.Unique("sp")}@chu.mssante.fr");
        var patient = (await _fhir.CreateAsync(TestData.Patient()))!;
        var report = (await _fhir.CreateAsync(new DocumentReference
        {
            Status = DocumentReferenceStatus.Current,
            Subject = new ResourceReference($"Patient/{patient.Id}"),
            Author = [new ResourceReference(specialist)],
            Content = [new DocumentReference.ContentComponent { Attachment = new Attachment { ContentType = "application/pdf", Data = "%PDF CR"u8.ToArray() } }],
        }))!;
        await ReferralAsync(specialist, report, "2024-03-01T00:00:00Z", FhirTask.TaskStatus.Completed, completedAfterHours: 10);
        await ReferralAsync(specialist, report, "2024-03-02T08:00:00Z", FhirTask.TaskStatus.Completed, completedAfterHours: 30);
        await ReferralAsync(specialist, report, "2024-03-20T08:00:00Z", FhirTask.TaskStatus.Completed, completedAfterHours: 20);
        await ReferralAsync(specialist, report, "2024-03-21T08:00:00Z", FhirTask.TaskStatus.Requested);
        await ReferralAsync(specialist, report, "2024-03-22T08:00:00Z", FhirTask.TaskStatus.Rejected);
        await ReferralAsync(specialist, report, "2024-04-01T08:00:00Z", FhirTask.TaskStatus.Completed, completedAfterHours: 1);
        await DeliveryAsync("shared-record", FhirTask.TaskStatus.Completed, "2024-03-05T10:00:00Z");
        await DeliveryAsync("shared-record", FhirTask.TaskStatus.Completed, "2024-03-31T23:59:00Z");
        await DeliveryAsync("shared-record", FhirTask.TaskStatus.Failed, "2024-03-06T10:00:00Z");
        await DeliveryAsync("secure-messaging", FhirTask.TaskStatus.Completed, "2024-03-07T10:00:00Z");
        await DeliveryAsync("secure-messaging", FhirTask.TaskStatus.Failed, "2024-02-29T23:00:00Z");
        await DeliveryAsync("secure-messaging", FhirTask.TaskStatus.InProgress, "2024-03-07T10:00:00Z");

        var march = await ReportAsync(("period", "2024-03"));

        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), ((Period)march.GetSingleValue<DataType>("period")!).StartElement.ToDateTimeOffset(TimeSpan.Zero));
        Assert.Equal(0, Integer(march, "pps-created"));
        Assert.Null(march.GetSingleValue<DataType>("pps-validation-rate"));
        var referrals = march.Get("referral").ToDictionary(p => ((Code)p.Part.Single(x => x.Name == "status").Value).Value, p => ((Integer)p.Part.Single(x => x.Name == "count").Value).Value);
        Assert.Equal(new Dictionary<string, int?> { ["completed"] = 3, ["rejected"] = 1, ["requested"] = 1 }, referrals);
        var median = (Duration)march.GetSingleValue<DataType>("referral-completion-median")!;
        Assert.Equal(20m, median.Value);
        Assert.Equal("h", median.Code);
        var deliveries = march.Get("delivery").ToDictionary(
            p => ((Coding)p.Part.Single(x => x.Name == "channel").Value).Code,
            p => (((Integer)p.Part.Single(x => x.Name == "delivered").Value).Value, ((Integer)p.Part.Single(x => x.Name == "failed").Value).Value));
        Assert.Equal((2, 1), deliveries["shared-record"]);
        Assert.Equal((1, 0), deliveries["secure-messaging"]);

        var day = await ReportAsync(("period", "2024-03-20"));
        Assert.Equal(1, ((Integer)Assert.Single(day.Get("referral")).Part.Single(x => x.Name == "count").Value).Value);
    }

    [Fact]
    public async Task The_report_needs_the_administration_scope()
    {
        var error = await Assert.ThrowsAsync<FhirOperationException>(() =>
            _fhir.GetAsync(new Uri($"{_fhir.Endpoint.ToString().TrimEnd('/')}/$coordination-report?period=2024-03")));
        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
    }

    [Fact]
    public async Task A_report_without_a_valid_period_is_a_400_naming_the_parameter()
    {
        foreach (var (query, expression) in new[] { ("", "period"), ("?period=2024-13", "period"), ("?start=2024-03-01", "period"), ("?start=2024-03-05&end=2024-03-01", "end") })
        {
            var error = await Assert.ThrowsAsync<FhirOperationException>(() =>
                _admin.GetAsync(new Uri($"{_fhir.Endpoint.ToString().TrimEnd('/')}/$coordination-report{query}")));
            Assert.Equal(HttpStatusCode.BadRequest, error.Status);
            Assert.Equal([expression], error.Outcome.Issue[0].Expression);
        }
    }

    private async Task<Parameters> ReportAsync(params (string Name, object Value)[] query)
    {
        var text = string.Join("&", query.Select(q => $"{q.Name}={(q.Value is DateTime d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : q.Value)}"));
        return (Parameters)(await _admin.GetAsync(new Uri($"{_fhir.Endpoint.ToString().TrimEnd('/')}/$coordination-report?{text}")))!;
    }

    private static int? Integer(Parameters report, string name) => ((Integer)report.GetSingleValue<DataType>(name)!).Value;

    /// <summary>A referral-tracking Task authored at <paramref name="authoredOn"/>, moved to <paramref name="status"/> by plain updates.</summary>
    private async Task ReferralAsync(string specialist, DocumentReference report, string authoredOn, FhirTask.TaskStatus status, int completedAfterHours = 0)
    {
        var task = (await _fhir.CreateAsync(new FhirTask
        {
            Status = FhirTask.TaskStatus.Requested,
            Intent = FhirTask.TaskIntent.Order,
            Code = WorkflowTasks.Code(WorkflowTasks.Referral, "Track the referral"),
            Focus = new ResourceReference($"ServiceRequest/{TestData.Unique("sr")}"),
            Owner = new ResourceReference(specialist),
            AuthoredOn = authoredOn,
        }))!;
        FhirTask.TaskStatus[] path = status switch
        {
            FhirTask.TaskStatus.Completed => [FhirTask.TaskStatus.Accepted, FhirTask.TaskStatus.InProgress, FhirTask.TaskStatus.Completed],
            FhirTask.TaskStatus.Rejected => [FhirTask.TaskStatus.Rejected],
            _ => [],
        };
        foreach (var step in path)
        {
            task.Status = step;
            if (step == FhirTask.TaskStatus.Completed)
            {
                task.Output.Add(new FhirTask.OutputComponent { Type = new CodeableConcept("http://loinc.org", "11488-4"), Value = new ResourceReference($"DocumentReference/{report.Id}") });
                var end = DateTimeOffset.Parse(authoredOn, CultureInfo.InvariantCulture).AddHours(completedAfterHours);
                task.ExecutionPeriod = new Period { EndElement = new FhirDateTime(end) };
            }

            task = (await _fhir.UpdateAsync(task))!;
        }
    }

    private Task DeliveryAsync(string channel, FhirTask.TaskStatus status, string lastModified) =>
        _fhir.CreateAsync(new FhirTask
        {
            Status = status,
            Intent = FhirTask.TaskIntent.Order,
            Code = new CodeableConcept(DeliveryChannels, channel),
            Focus = new ResourceReference($"DocumentReference/{TestData.Unique("doc")}"),
            LastModified = lastModified,
        });

    /// <summary>A gateway on a database of its own, so that the report's totals are this class's data only.</summary>
    public sealed class Gateway : IDisposable
    {
        public GatewayFactory Factory { get; } = GatewayFactory.WithSettings(new Dictionary<string, string>
        {
            ["ConnectionStrings:Fhir"] = GatewayFactory.OwnDatabase("coordination_report"),
        });

        public void Dispose() => Factory.Dispose();
    }
}
