using System.Globalization;
using System.Text.RegularExpressions;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// A FHIR date, dateTime or instant as the closed range its precision covers: <c>2024-03</c> is
/// [2024-03-01T00:00, 2024-03-31T23:59:59.999999]. A value without a time zone is taken in Europe/Paris
/// (the gateway's jurisdiction), on the index side and the search side alike.
/// https://hl7.org/fhir/R4/search.html#date
/// </summary>
public readonly partial record struct DateRange(DateTimeOffset Low, DateTimeOffset High)
{
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);
    private static readonly Lazy<TimeZoneInfo> Paris = new(() =>
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
    });

    public static DateRange Unbounded => new(DateTimeOffset.MinValue, DateTimeOffset.MaxValue);

    /// <summary>Parses a FHIR date/dateTime/instant (search values may also stop at minutes).</summary>
    public static bool TryParse(string text, out DateRange range)
    {
        range = default;
        var m = Pattern().Match(text);
        if (!m.Success)
        {
            return false;
        }

        try
        {
            var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            var month = m.Groups["mo"].Success ? int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture) : 1;
            var day = m.Groups["d"].Success ? int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture) : 1;
            var hour = m.Groups["h"].Success ? int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture) : 0;
            var minute = m.Groups["mi"].Success ? int.Parse(m.Groups["mi"].Value, CultureInfo.InvariantCulture) : 0;
            var second = m.Groups["s"].Success ? int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture) : 0;
            var fraction = m.Groups["f"].Success ? m.Groups["f"].Value : "";
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
            var digits = Math.Min(fraction.Length, 7);
            if (digits > 0)
            {
                local = local.AddTicks(long.Parse(fraction[..digits], CultureInfo.InvariantCulture) * (long)Math.Pow(10, 7 - digits));
            }

            DateTime next = m.Groups["f"].Success ? local.AddTicks((long)Math.Pow(10, 7 - digits))
                : m.Groups["s"].Success ? local.AddSeconds(1)
                : m.Groups["mi"].Success ? local.AddMinutes(1)
                : m.Groups["d"].Success ? local.AddDays(1)
                : m.Groups["mo"].Success ? local.AddMonths(1)
                : local.AddYears(1);
            var low = Zoned(local, m.Groups["z"].Value);
            var high = Zoned(next, m.Groups["z"].Value) - Microsecond;
            range = new DateRange(low, high < low ? low : high);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>The range of an SDK date value's text, or null when it does not parse.</summary>
    public static DateRange? Of(string? text) => text is not null && TryParse(text, out var r) ? r : null;

    private static DateTimeOffset Zoned(DateTime local, string zone)
    {
        if (zone.Length == 0)
        {
            var tz = Paris.Value;
            var offset = tz.IsInvalidTime(local) ? tz.GetUtcOffset(local.AddHours(1)) : tz.GetUtcOffset(local);
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }

        if (zone == "Z")
        {
            return new DateTimeOffset(local, TimeSpan.Zero);
        }

        var sign = zone[0] == '-' ? -1 : 1;
        var offsetSpan = new TimeSpan(int.Parse(zone[1..3], CultureInfo.InvariantCulture), int.Parse(zone[4..6], CultureInfo.InvariantCulture), 0) * sign;
        return new DateTimeOffset(local, offsetSpan).ToUniversalTime();
    }

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<mo>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<mi>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<z>Z|[+-]\d{2}:\d{2})?)?)?)?\z")]
    private static partial Regex Pattern();
}
