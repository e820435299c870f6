using System.Collections.Concurrent;
using System.Reflection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// Token: Coding, CodeableConcept, Identifier (with <c>:of-type</c> rows), ContactPoint, code, boolean and other
/// primitives; the display text goes to <c>param:text</c> string rows for <c>:text</c>.
/// https://hl7.org/fhir/R4/search.html#token
/// </summary>
internal sealed class TokenSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Token;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        var code = parameter.Code;
        switch (value)
        {
            case Coding c:
                AddCoding(code, c, rows);
                break;
            case CodeableConcept cc:
                foreach (var c in cc.Coding)
                {
                    AddCoding(code, c, rows);
                }

                AddText(code, cc.Text, rows);
                break;
            case Identifier { Value: { Length: > 0 } v } id:
                rows.Tokens.Add(new TokenIndexEntry(code, NullIfEmpty(id.System), v));
                foreach (var t in id.Type?.Coding ?? [])
                {
                    if (t.Code is { Length: > 0 })
                    {
                        rows.Tokens.Add(new TokenIndexEntry(code + ":of-type", t.System + "|" + t.Code, v));
                    }
                }

                AddText(code, id.Type?.Text, rows);
                break;
            case ContactPoint { Value: { Length: > 0 } v }:
                rows.Tokens.Add(new TokenIndexEntry(code, null, v));
                break;
            case FhirBoolean { Value: { } b }:
                rows.Tokens.Add(new TokenIndexEntry(code, null, b ? "true" : "false"));
                break;
            case PrimitiveType p when p.JsonValue is not null:
                if (Convert.ToString(p.JsonValue, System.Globalization.CultureInfo.InvariantCulture) is { Length: > 0 } text)
                {
                    rows.Tokens.Add(new TokenIndexEntry(code, SystemOf(p), text));
                }

                break;
        }
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        var name = parameter.Code;
        switch (modifier)
        {
            case null:
                return new TokenCriterion(name, values.Select(TokenValue.Parse).ToList());
            case "not":
                return new TokenCriterion(name, values.Select(TokenValue.Parse).ToList()) { Modifier = TokenModifier.Not };
            case "text":
                return new StringCriterion(name + ":text", StringMatch.Contains, values.Select(SearchValues.Unescape).ToList());
            case "of-type":
                return new TokenCriterion(name, values.Select(v => OfType(name, v)).ToList()) { Modifier = TokenModifier.OfType };
            case "in" or "not-in":
                var codes = new List<TokenValue>();
                foreach (var url in values.Select(SearchValues.Unescape))
                {
                    codes.AddRange(context.ValueSets.Expand(url.Split('|')[0])
                        ?? throw Invalid(name, $"the ValueSet '{url}' is not known to this server (only local ValueSets can be used with :{modifier})."));
                }

                return new TokenCriterion(name, codes) { Modifier = modifier == "in" ? TokenModifier.In : TokenModifier.NotIn };
            default:
                throw BadModifier(name, modifier);
        }
    }

    /// <summary><c>:of-type</c> value: <c>type-system|type-code|identifier-value</c>, all three required.</summary>
    private static TokenValue OfType(string name, string text)
    {
        var first = SearchValues.IndexOfUnescaped(text, '|');
        var second = first < 0 ? -1 : SearchValues.IndexOfUnescaped(text[(first + 1)..], '|');
        if (first < 0 || second < 0)
        {
            throw Invalid(name, ":of-type needs system|code|value.");
        }

        var typeSystem = SearchValues.Unescape(text[..first]);
        var typeCode = SearchValues.Unescape(text[(first + 1)..(first + 1 + second)]);
        var value = SearchValues.Unescape(text[(first + 2 + second)..]);
        if (typeCode.Length == 0 || value.Length == 0)
        {
            throw Invalid(name, ":of-type needs system|code|value.");
        }

        return new TokenValue(typeSystem + "|" + typeCode, value, false);
    }

    private static void AddCoding(string code, Coding c, SearchIndexRows rows)
    {
        if (c.Code is { Length: > 0 })
        {
            rows.Tokens.Add(new TokenIndexEntry(code, NullIfEmpty(c.System), c.Code));
        }

        AddText(code, c.Display, rows);
    }

    private static void AddText(string code, string? text, SearchIndexRows rows)
    {
        if (!string.IsNullOrWhiteSpace(text))
        {
            rows.Strings.Add(new StringIndexEntry(code + ":text", text));
        }
    }

    /// <summary>The code system of a bound <c>Code&lt;T&gt;</c> (e.g. administrative-gender), so <c>system|code</c> matches.</summary>
    private static string? SystemOf(PrimitiveType p) =>
        (p.GetType().IsGenericType ? EnumValue.GetOrAdd(p.GetType(), ValueProperty)?.GetValue(p) as Enum : null) is { } e
            ? EnumSystems.GetOrAdd(e, static e => NullIfEmpty(e.GetSystem()))
            : null;

    // The SDK reads the system from the enum member's attribute by reflection on every call; an index row is made for
    // every coded element of every write, so both lookups are cached (the enum types and members are a fixed set).
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> EnumValue = new();
    private static readonly ConcurrentDictionary<Enum, string?> EnumSystems = new();

    private static PropertyInfo? ValueProperty(Type type) =>
        type.GetProperty("Value", BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
