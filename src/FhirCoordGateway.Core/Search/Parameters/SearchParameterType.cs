using System.Globalization;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// One class per search-parameter type (Blaze's <c>search_param/token.clj</c>): it extracts index rows from the
/// values a parameter's FHIRPath selects, and parses search values into a <see cref="SearchCriterion"/>. The SQL of
/// each criterion lives in Storage.Postgres (one emitter per type, same names), since Core never sees SQL.
/// Design: subscription matching (issue 7) can evaluate a criterion against a resource by extracting its rows
/// with <see cref="Extract"/> and comparing them with the criterion — the same two halves, no SQL.
/// </summary>
internal abstract class SearchParameterType
{
    public abstract SearchParamKind Kind { get; }

    /// <summary>Adds the index rows of one value (a POCO the parameter's expression selected).</summary>
    public abstract void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate);

    /// <summary>Parses the ORed values of one occurrence of the parameter, with its modifier (null for none).</summary>
    public abstract SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context);

    protected static FhirOutcomeException Invalid(string name, string message) =>
        FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': {message}", name);

    protected static FhirOutcomeException BadModifier(string name, string modifier) =>
        Invalid(name, $"the modifier ':{modifier}' is not supported for this parameter.");

    /// <summary>Splits <c>ge2024</c> into its prefix and the rest; no prefix is <c>eq</c>.</summary>
    protected static (Prefix Prefix, string Value) SplitPrefix(string value)
    {
        if (value.Length >= 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]))
        {
            var prefix = value[..2] switch
            {
                "eq" => Prefix.Eq,
                "ne" => Prefix.Ne,
                "gt" => Prefix.Gt,
                "lt" => Prefix.Lt,
                "ge" => Prefix.Ge,
                "le" => Prefix.Le,
                "sa" => Prefix.Sa,
                "eb" => Prefix.Eb,
                "ap" => Prefix.Ap,
                _ => (Prefix?)null,
            };
            if (prefix is { } p)
            {
                return (p, value[2..]);
            }
        }

        return (Prefix.Eq, value);
    }

    /// <summary>A number with its implicit precision range: <c>100</c> → [99.5, 100.5), <c>1e2</c> likewise.</summary>
    protected static bool TryParseNumber(Prefix prefix, string text, out NumberValue value)
    {
        value = null!;
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return false;
        }

        var mantissa = text.Split('e', 'E')[0];
        var dot = mantissa.IndexOf('.');
        var decimals = dot < 0 ? 0 : mantissa.Length - dot - 1;
        var exponent = text.Contains('e') || text.Contains('E') ? int.Parse(text.Split('e', 'E')[1], CultureInfo.InvariantCulture) : 0;
        var scale = decimals - exponent;
        var half = 0.5m * (decimal)Math.Pow(10, -scale);
        value = new NumberValue(prefix, d, d - half, d + half);
        return true;
    }
}

/// <summary>Evaluates a (cached, compiled) FHIRPath expression relative to a value; composites use it for their components.</summary>
public delegate IEnumerable<Base> ValueEvaluator(string expression, Base focus);

/// <summary>What parsing needs beyond the parameter: the base URL (absolute references to ourselves) and local ValueSets.</summary>
public sealed record SearchParseContext(string? BaseUrl, ILocalValueSets ValueSets);

/// <summary>ValueSets the server can expand locally for <c>:in</c>/<c>:not-in</c>.</summary>
public interface ILocalValueSets
{
    /// <summary>The codes of the ValueSet, or null when it is not known locally.</summary>
    IReadOnlyList<TokenValue>? Expand(string url);
}
