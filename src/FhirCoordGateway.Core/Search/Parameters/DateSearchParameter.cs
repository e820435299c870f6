using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// Date: date, dateTime, instant, Period and Timing as closed ranges at their precision; search values with the
/// prefixes eq ne gt lt ge le sa eb ap. https://hl7.org/fhir/R4/search.html#date
/// </summary>
internal sealed class DateSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Date;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        var code = parameter.Code;
        switch (value)
        {
            case Period p:
                var start = DateRange.Of(p.Start);
                var end = DateRange.Of(p.End);
                if (start is not null || end is not null)
                {
                    rows.Dates.Add(new DateIndexEntry(code, start?.Low ?? DateTimeOffset.MinValue, end?.High ?? DateTimeOffset.MaxValue));
                }

                break;
            case Timing t:
                foreach (var e in t.EventElement)
                {
                    Add(code, e.Value, rows);
                }

                if (t.Repeat?.Bounds is Period bounds)
                {
                    Extract(parameter, bounds, rows, evaluate);
                }

                break;
            case PrimitiveType p when p.JsonValue is not null:
                Add(code, p.ToString(), rows);
                break;
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        if (modifier is not null)
        {
            throw BadModifier(parameter.Code, modifier);
        }

        return new DateCriterion(parameter.Code, values.Select(v => ParseValue(parameter.Code, v)).ToList());
    }

    public static DateValue ParseValue(string name, string text)
    {
        var (prefix, rest) = SplitPrefix(text);
        if (!DateRange.TryParse(rest, out var range))
        {
            throw Invalid(name, $"'{text}' is not a date (expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][zone]]]]).");
        }

        return new DateValue(prefix, range.Low, range.High);
    }

    private static void Add(string code, string? text, SearchIndexRows rows)
    {
        if (DateRange.Of(text) is { } r)
        {
            rows.Dates.Add(new DateIndexEntry(code, r.Low, r.High));
        }
    }
}
