using System.Globalization;
using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Workflows;

/// <summary>
/// The period of a coordination report, half-open [<see cref="Start"/>, <see cref="End"/>) in UTC: a whole year,
/// month or day (<c>period=2026</c>, <c>2026-11</c>, <c>2026-11-22</c>) or inclusive dates
/// (<c>start=2026-11-01&amp;end=2026-11-15</c>).
/// </summary>
public sealed record ReportPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    public static ReportPeriod Parse(string? period, string? start, string? end)
    {
        if (!string.IsNullOrEmpty(period))
        {
            if (!string.IsNullOrEmpty(start) || !string.IsNullOrEmpty(end))
            {
                throw FhirOutcomeException.Of(FailureKind.Invalid, "Give either 'period' or 'start' and 'end', not both.", "period");
            }

            var first = Date(period, "period");
            var next = period.Length switch
            {
                4 => first.AddYears(1),
                7 => first.AddMonths(1),
                _ => first.AddDays(1),
            };
            return new ReportPeriod(first, next);
        }

        if (string.IsNullOrEmpty(start) || string.IsNullOrEmpty(end))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "The report needs 'period' (YYYY, YYYY-MM or YYYY-MM-DD) or both 'start' and 'end' (YYYY-MM-DD).", "period");
        }

        var from = Date(start, "start");
        var to = Date(end, "end").AddDays(1);
        return to > from ? new ReportPeriod(from, to) : throw FhirOutcomeException.Of(FailureKind.Invalid, "'end' is before 'start'.", "end");
    }

    private static DateTimeOffset Date(string text, string parameter)
    {
        string[] formats = ["yyyy", "yyyy-MM", "yyyy-MM-dd"];
        return DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date)
            && (parameter == "period" || text.Length == 10)
            ? new DateTimeOffset(date, TimeSpan.Zero)
            : throw FhirOutcomeException.Of(
                FailureKind.Invalid,
                parameter == "period" ? $"'{text}' is not a period: use YYYY, YYYY-MM or YYYY-MM-DD." : $"'{text}' is not a date: use YYYY-MM-DD.",
                parameter);
    }
}
