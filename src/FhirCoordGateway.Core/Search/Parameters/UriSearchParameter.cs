using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>Uri: exact by default, <c>:below</c> (prefix), <c>:above</c> (the value starts with the indexed uri). https://hl7.org/fhir/R4/search.html#uri</summary>
internal sealed class UriSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Uri;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        if (value is PrimitiveType { JsonValue: { } v } && Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) is { Length: > 0 } uri)
        {
            rows.Uris.Add(new UriIndexEntry(parameter.Code, uri));
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        var match = modifier switch
        {
            null => UriMatch.Equals,
            "below" => UriMatch.Below,
            "above" => UriMatch.Above,
            _ => throw BadModifier(parameter.Code, modifier),
        };
        return new UriCriterion(parameter.Code, match, values.Select(SearchValues.Unescape).ToList());
    }
}
