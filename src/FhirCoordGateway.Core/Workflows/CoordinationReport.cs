using System.Globalization;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// <c>GET [base]/$coordination-report</c>: the funders' figures for a period, as a Parameters resource
/// (docs/adr/0013 says why not a MeasureReport and defines each figure):
/// <list type="bullet">
/// <item><c>pps-created</c>, <c>pps-validated</c> (MT validations written in the period), <c>pps-validation-rate</c>
/// (share of the plans created in the period that the MT has validated by now), <c>pps-revised</c> (new versions of
/// active plans that kept their validation), all read from the CarePlan history;</item>
/// <item><c>referral</c> parts (status, count) for the referrals made in the period (tracking Task authoredOn), and
/// <c>referral-completion-median</c> (hours from the referral to its completion: Task executionPeriod.end, else
/// the completed version's lastUpdated);</item>
/// <item><c>delivery</c> parts (channel, delivered, failed) for the delivery Tasks that ended in the period (lastModified).</item>
/// </list>
/// </summary>
public sealed class CoordinationReport(IResourceStore store, WorkflowSearch search)
{
    public const string DeliveryChannelSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-channel";
    private static readonly string[] Channels = ["shared-record", "secure-messaging"];

    public async Task<Parameters> BuildAsync(ReportPeriod period, CancellationToken ct)
    {
        var report = new Parameters();
        report.Add("period", new Period(new FhirDateTime(period.Start), new FhirDateTime(period.End)));
        await AddPlansAsync(report, period, ct);
        await AddReferralsAsync(report, period, ct);
        await AddDeliveriesAsync(report, period, ct);
        return report;
    }

    private async System.Threading.Tasks.Task AddPlansAsync(Parameters report, ReportPeriod period, CancellationToken ct)
    {
        var created = new List<string>();
        int validated = 0, revised = 0;
        long? before = null;
        do
        {
            var page = await store.ReadHistoryAsync(new HistoryQuery("CarePlan", null, period.Start, 500, before), ct);
            foreach (var version in page.Entries.Select(e => e.Version).Where(v => v.LastUpdated < period.End && !v.Deleted))
            {
                if (ResourceJson.Parse(version.Json!) is not CarePlan plan || !PpsPlan.IsPps(plan))
                {
                    continue;
                }

                var previous = version.Version == 1 ? null : await store.ReadVersionAsync("CarePlan", version.Id, version.Version - 1, ct);
                var previousPlan = previous is { Deleted: false, Json: { } json } ? ResourceJson.Parse(json) as CarePlan : null;
                if (previousPlan is null || !PpsPlan.IsPps(previousPlan))
                {
                    created.Add(version.Id);
                }
                else if (PpsPlan.MtValidation(plan) is not null && !PpsPlan.SameMtValidation(previousPlan, plan))
                {
                    validated++;
                }
                else if (previousPlan.Status == RequestStatus.Active && plan.Status == RequestStatus.Active)
                {
                    revised++;
                }
            }

            before = page.NextBefore;
        }
        while (before is not null);

        var createdNowValidated = 0;
        foreach (var id in created.Distinct())
        {
            if (await store.ReadAsync("CarePlan", id, ct) is { Deleted: false, Json: { } json } && ResourceJson.Parse(json) is CarePlan plan
                && PpsPlan.MtValidation(plan) is not null)
            {
                createdNowValidated++;
            }
        }

        report.Add("pps-created", new Integer(created.Count));
        report.Add("pps-validated", new Integer(validated));
        if (created.Count > 0)
        {
            report.Add("pps-validation-rate", new FhirDecimal(Math.Round((decimal)createdNowValidated / created.Count, 4)));
        }

        report.Add("pps-revised", new Integer(revised));
    }

    private async System.Threading.Tasks.Task AddReferralsAsync(Parameters report, ReportPeriod period, CancellationToken ct)
    {
        var query = search.Query(
            "Task", ("code", WorkflowTasks.ReferralCodeToken), ("authored-on", "ge" + Instant(period.Start)), ("authored-on", "lt" + Instant(period.End)));
        var byStatus = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var hours = new List<double>();
        await foreach (var stored in search.AllAsync(query, ct))
        {
            var task = (FhirTask)ResourceJson.Parse(stored.Json!);
            var status = Hl7.Fhir.Utility.EnumUtility.GetLiteral(task.Status) ?? "unknown";
            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            if (task.Status == FhirTask.TaskStatus.Completed && task.AuthoredOnElement?.ToDateTimeOffset(TimeSpan.Zero) is { } from)
            {
                var to = task.ExecutionPeriod?.EndElement?.ToDateTimeOffset(TimeSpan.Zero) ?? stored.LastUpdated;
                hours.Add((to - from).TotalHours);
            }
        }

        foreach (var (status, count) in byStatus)
        {
            report.Parameter.Add(new Parameters.ParameterComponent
            {
                Name = "referral",
                Part = [new() { Name = "status", Value = new Code(status) }, new() { Name = "count", Value = new Integer(count) }],
            });
        }

        if (Median(hours) is { } median)
        {
            report.Add("referral-completion-median", new Duration
            {
                Value = Math.Round((decimal)median, 2),
                Unit = "h",
                System = "http://unitsofmeasure.org",
                Code = "h",
            });
        }
    }

    private async System.Threading.Tasks.Task AddDeliveriesAsync(Parameters report, ReportPeriod period, CancellationToken ct)
    {
        foreach (var channel in Channels)
        {
            report.Parameter.Add(new Parameters.ParameterComponent
            {
                Name = "delivery",
                Part =
                [
                    new() { Name = "channel", Value = new Coding(DeliveryChannelSystem, channel) },
                    new() { Name = "delivered", Value = new Integer((int)await CountDeliveriesAsync(channel, "completed", period, ct)) },
                    new() { Name = "failed", Value = new Integer((int)await CountDeliveriesAsync(channel, "failed", period, ct)) },
                ],
            });
        }
    }

    private Task<long> CountDeliveriesAsync(string channel, string status, ReportPeriod period, CancellationToken ct) =>
        search.CountAsync(
            search.Query(
                "Task",
                ("code", $"{DeliveryChannelSystem}|{channel}"),
                ("status", status),
                ("modified", "ge" + Instant(period.Start)),
                ("modified", "lt" + Instant(period.End))),
            ct);

    internal static double? Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    private static string Instant(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
