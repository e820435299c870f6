using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// String: starts-with by default, <c>:exact</c>, <c>:contains</c>; case- and accent-insensitive through
/// <see cref="StringFold"/>. HumanName and Address index each part. https://hl7.org/fhir/R4/search.html#string
/// </summary>
internal sealed class StringSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.String;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        var code = parameter.Code;
        switch (value)
        {
            case HumanName n:
                Add(code, n.Text, rows);
                Add(code, n.Family, rows);
                foreach (var g in n.Given.Concat(n.Prefix).Concat(n.Suffix))
                {
                    Add(code, g, rows);
                }

                break;
            case Address a:
                Add(code, a.Text, rows);
                foreach (var line in a.Line)
                {
                    Add(code, line, rows);
                }

                Add(code, a.City, rows);
                Add(code, a.District, rows);
                Add(code, a.State, rows);
                Add(code, a.PostalCode, rows);
                Add(code, a.Country, rows);
                break;
            case PrimitiveType p when p.JsonValue is not null:
                Add(code, Convert.ToString(p.JsonValue, System.Globalization.CultureInfo.InvariantCulture), rows);
                break;
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        var match = modifier switch
        {
            null => StringMatch.StartsWith,
            "exact" => StringMatch.Exact,
            "contains" => StringMatch.Contains,
            _ => throw BadModifier(parameter.Code, modifier),
        };
        return new StringCriterion(parameter.Code, match, values.Select(SearchValues.Unescape).ToList());
    }

    private static void Add(string code, string? value, SearchIndexRows rows)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            rows.Strings.Add(new StringIndexEntry(code, value));
        }
    }
}
