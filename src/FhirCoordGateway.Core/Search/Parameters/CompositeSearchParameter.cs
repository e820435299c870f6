using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// Composite (<c>code-value-quantity=http://loinc.org|8480-6$gt100</c>): a token first component and a
/// token, quantity, number, date or string second one, indexed per repeating element so both halves come
/// from the same element. Quantity units of the second component are not compared.
/// https://hl7.org/fhir/R4/search.html#composite
/// </summary>
internal sealed class CompositeSearchParameter : SearchParameterType
{
    private static readonly TokenSearchParameter Token = new();

    public override SearchParamKind Kind => SearchParamKind.Composite;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        var first = new SearchIndexRows();
        var dummy = parameter with { Code = "" };
        foreach (var v in evaluate(parameter.Components[0].Expression, value))
        {
            Token.Extract(dummy, v, first, evaluate);
        }

        var second = parameter.Components[1];
        foreach (var t in first.Tokens.Where(t => t.Parameter.Length == 0))
        {
            foreach (var v in evaluate(second.Expression, value))
            {
                switch (second.Type)
                {
                    case SearchParamType.Token:
                        var seconds = new SearchIndexRows();
                        Token.Extract(dummy, v, seconds, evaluate);
                        foreach (var s in seconds.Tokens.Where(s => s.Parameter.Length == 0))
                        {
                            rows.Composites.Add(new CompositeIndexEntry(parameter.Code, t.System, t.Code, s.System, s.Code, null, null, null, null));
                        }

                        break;
                    case SearchParamType.Quantity when v is Quantity { Value: { } q }:
                        rows.Composites.Add(new CompositeIndexEntry(parameter.Code, t.System, t.Code, null, null, q, q, null, null));
                        break;
                    case SearchParamType.Number when v is PrimitiveType { JsonValue: { } n }:
                        var d = Convert.ToDecimal(n, System.Globalization.CultureInfo.InvariantCulture);
                        rows.Composites.Add(new CompositeIndexEntry(parameter.Code, t.System, t.Code, null, null, d, d, null, null));
                        break;
                    case SearchParamType.Date:
                        var dates = new SearchIndexRows();
                        new DateSearchParameter().Extract(dummy, v, dates, evaluate);
                        foreach (var r in dates.Dates)
                        {
                            rows.Composites.Add(new CompositeIndexEntry(parameter.Code, t.System, t.Code, null, null, null, null, r.Low, r.High));
                        }

                        break;
                    case SearchParamType.String when v is PrimitiveType { JsonValue: { } s }:
                        rows.Composites.Add(new CompositeIndexEntry(parameter.Code, t.System, t.Code, null, StringFold.Fold(s.ToString()!), null, null, null, null));
                        break;
                }
            }
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        var name = parameter.Code;
        if (modifier is not null)
        {
            throw BadModifier(name, modifier);
        }

        var result = new List<CompositeValue>();
        foreach (var value in values)
        {
            var dollar = SearchValues.IndexOfUnescaped(value, '$');
            if (dollar < 0)
            {
                throw Invalid(name, $"'{value}' is not a composite value (expected first$second).");
            }

            var first = TokenValue.Parse(value[..dollar]);
            var second = value[(dollar + 1)..];
            result.Add(parameter.Components[1].Type switch
            {
                SearchParamType.Token => new CompositeValue(first, TokenValue.Parse(second), null, null, null),
                SearchParamType.Quantity => new CompositeValue(first, null, QuantitySearchParameter.ParseValue(name, second).Number, null, null),
                SearchParamType.Number => new CompositeValue(first, null, NumberSearchParameter.ParseValue(name, second), null, null),
                SearchParamType.Date => new CompositeValue(first, null, null, DateSearchParameter.ParseValue(name, second), null),
                _ => new CompositeValue(first, null, null, null, StringFold.Fold(SearchValues.Unescape(second))),
            });
        }

        return new CompositeCriterion(name, result);
    }
}
