using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>
/// Reference: <c>Type/id</c>, a bare id, an absolute URL or a canonical; modifiers <c>:Type</c> and
/// <c>:identifier</c> (synthetic <c>param:identifier</c> token rows). Relative references are stored as
/// type and id (resolved to the target's row by the store); absolute ones by URL.
/// https://hl7.org/fhir/R4/search.html#reference
/// </summary>
internal sealed class ReferenceSearchParameter : SearchParameterType
{
    public override SearchParamKind Kind => SearchParamKind.Reference;

    public override void Extract(SearchParameterInfo parameter, Base value, SearchIndexRows rows, ValueEvaluator evaluate)
    {
        switch (value)
        {
            case ResourceReference r:
                if (r.Reference is { Length: > 0 } text && Parse(text) is { } entry)
                {
                    rows.References.Add(entry with { Parameter = parameter.Code });
                }

                if (r.Identifier is { Value: { Length: > 0 } v } id)
                {
                    rows.Tokens.Add(new TokenIndexEntry(parameter.Code + ":identifier", string.IsNullOrEmpty(id.System) ? null : id.System, v));
                }

                break;
            case PrimitiveType { JsonValue: string s } when s.Length > 0:
                var url = s.Split('|')[0];
                rows.References.Add(Parse(url) is { TargetType: not null } local ? local with { Parameter = parameter.Code } : new ReferenceIndexEntry(parameter.Code, null, null, url));
                break;
        }
    }

    /// <summary>The stored form of a reference string; null for a contained (<c>#id</c>) reference.</summary>
    public static ReferenceIndexEntry? Parse(string reference)
    {
        if (reference.StartsWith('#'))
        {
            return null;
        }

        if (reference.Contains("://", StringComparison.Ordinal) || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return new ReferenceIndexEntry("", null, null, reference);
        }

        var parts = reference.Split('/');
        if (parts.Length >= 4 && parts[^2] == "_history")
        {
            parts = parts[..^2];
        }

        return parts.Length == 2 && ResourceTypes.All.Contains(parts[0]) && parts[1].Length > 0
            ? new ReferenceIndexEntry("", parts[0], parts[1], null)
            : new ReferenceIndexEntry("", null, null, reference);
    }

    public override SearchCriterion Parse(SearchParameterInfo parameter, string? modifier, IReadOnlyList<string> values, SearchParseContext context)
    {
        var name = parameter.Code;
        if (modifier == "identifier")
        {
            return new TokenCriterion(name + ":identifier", values.Select(TokenValue.Parse).ToList());
        }

        if (modifier is not null && !ResourceTypes.All.Contains(modifier))
        {
            throw BadModifier(name, modifier);
        }

        if (modifier is not null && parameter.Targets.Count > 0 && !parameter.Targets.Contains(modifier))
        {
            throw Invalid(name, $"{modifier} is not a target type of this parameter.");
        }

        return new ReferenceCriterion(name, values.Select(v => ParseValue(name, modifier, SearchValues.Unescape(v), context.BaseUrl)).ToList());
    }

    private static ReferenceValue ParseValue(string name, string? type, string value, string? baseUrl)
    {
        if (baseUrl is not null && value.StartsWith(baseUrl.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            value = value[(baseUrl.TrimEnd('/').Length + 1)..];
        }

        if (value.Contains("://", StringComparison.Ordinal) || value.StartsWith("urn:", StringComparison.Ordinal))
        {
            return new ReferenceValue(null, null, value.Split('|')[0]);
        }

        var parts = value.Split('/');
        if (parts.Length >= 4 && parts[^2] == "_history")
        {
            parts = parts[..^2];
        }

        if (parts.Length == 2 && ResourceTypes.All.Contains(parts[0]) && parts[1].Length > 0)
        {
            if (type is not null && type != parts[0])
            {
                throw Invalid(name, $"'{value}' is not a {type}.");
            }

            return new ReferenceValue(parts[0], parts[1], null);
        }

        if (parts.Length == 1 && parts[0].Length > 0)
        {
            return new ReferenceValue(type, parts[0], null);
        }

        throw Invalid(name, $"'{value}' is not a reference (expected Type/id, id or an absolute URL).");
    }
}
