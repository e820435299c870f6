using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>Number: integer and decimal values; search values carry prefixes and an implicit precision. https://hl7.org/fhir/R4/search.html#number</summary>
internal sealed class NumberSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Number;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        switch (value)
        {
            case Integer { Value: { } i }:
                rows.Numbers.Add(new NumberIndexEntry(parameter.Code, i, i));
                break;
            case PositiveInt { Value: { } i }:
                rows.Numbers.Add(new NumberIndexEntry(parameter.Code, i, i));
                break;
            case UnsignedInt { Value: { } i }:
                rows.Numbers.Add(new NumberIndexEntry(parameter.Code, i, i));
                break;
            case FhirDecimal { Value: { } d }:
                rows.Numbers.Add(new NumberIndexEntry(parameter.Code, d, d));
                break;
            case Hl7.Fhir.Model.Range r when r.Low?.Value is not null || r.High?.Value is not null:
                rows.Numbers.Add(new NumberIndexEntry(parameter.Code, r.Low?.Value ?? decimal.MinValue, r.High?.Value ?? decimal.MaxValue));
                break;
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        if (modifier is not null)
        {
            throw BadModifier(parameter.Code, modifier);
        }

        return new NumberCriterion(parameter.Code, values.Select(v => ParseValue(parameter.Code, v)).ToList());
    }

    public static NumberValue ParseValue(string name, string text)
    {
        var (prefix, rest) = SplitPrefix(text);
        return TryParseNumber(prefix, rest, out var value) ? value : throw Invalid(name, $"'{text}' is not a number.");
    }
}
