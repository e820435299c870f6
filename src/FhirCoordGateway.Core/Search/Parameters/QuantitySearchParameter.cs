using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// Quantity: <c>[prefix]number[|system|code]</c>; Quantity (Age, Duration…), Money and Range values.
/// Units are matched as written (no UCUM conversion). https://hl7.org/fhir/R4/search.html#quantity
/// </summary>
internal sealed class QuantitySearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Quantity;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        switch (value)
        {
            case Quantity { Value: { } v } q:
                rows.Quantities.Add(new QuantityIndexEntry(parameter.Code, v, v, q.System, q.Code, q.Unit));
                break;
            case Money { Value: { } v } m:
                var currency = m.Currency?.GetLiteral();
                rows.Quantities.Add(new QuantityIndexEntry(parameter.Code, v, v, "urn:iso:std:iso:4217", currency, currency));
                break;
            case Hl7.Fhir.Model.Range r when r.Low?.Value is not null || r.High?.Value is not null:
                var unit = r.Low ?? r.High!;
                rows.Quantities.Add(new QuantityIndexEntry(parameter.Code, r.Low?.Value, r.High?.Value, unit.System, unit.Code, unit.Unit));
                break;
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        if (modifier is not null)
        {
            throw BadModifier(parameter.Code, modifier);
        }

        return new QuantityCriterion(parameter.Code, values.Select(v => ParseValue(parameter.Code, v)).ToList());
    }

    public static QuantityValue ParseValue(string name, string text)
    {
        var parts = new List<string>();
        var rest = text;
        for (var bar = SearchValues.IndexOfUnescaped(rest, '|'); bar >= 0; bar = SearchValues.IndexOfUnescaped(rest, '|'))
        {
            parts.Add(rest[..bar]);
            rest = rest[(bar + 1)..];
        }

        parts.Add(rest);
        if (parts.Count is not (1 or 3))
        {
            throw Invalid(name, $"'{text}' is not a quantity (expected [prefix]number[|system|code]).");
        }

        var number = NumberSearchParameter.ParseValue(name, parts[0]);
        return parts.Count == 1
            ? new QuantityValue(number, null, null)
            : new QuantityValue(number, Empty(SearchValues.Unescape(parts[1])), Empty(SearchValues.Unescape(parts[2])));
    }

    private static string? Empty(string s) => s.Length == 0 ? null : s;
}

internal static class EnumLiteral
{
    public static string? GetLiteral(this Enum? e) => e is null ? null : Hl7.Fhir.Utility.EnumUtility.GetLiteral(e);
}
