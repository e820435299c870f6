using System.Globalization;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search.Parameters;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Turns query parameters into a <see cref="SearchQuery"/>: every parameter type and modifier, chains and
/// <c>_has</c>, and the result parameters. Unknown parameters are ignored (and left out of the self link), or a
/// 400 in strict mode (<c>Prefer: handling=strict</c> and conditional interactions, which must never act on a
/// criterion they dropped). Malformed values are always a 400 naming the parameter.
/// https://hl7.org/fhir/R4/search.html
/// </summary>
public sealed class SearchQueryParser(SearchParameterCatalog catalog, ILocalValueSets? valueSets = null, SearchOptions? options = null)
{
    /// <summary>Parameters that control the response rather than select resources.</summary>
    private static readonly HashSet<string> ResultParameters =
        ["_format", "_pretty", "_count", "_summary", "_elements", "_sort", "_total", "_include", "_revinclude", "_page", "_type"];

    private readonly ILocalValueSets _valueSets = valueSets ?? NoValueSets.Instance;
    private readonly int _maxDepth = options?.MaxChainDepth ?? 3;

    public SearchParameterCatalog Catalog => catalog;

    /// <summary>Parses a type-level search.</summary>
    /// <param name="baseUrl">This server's base, so that absolute references to it match relative ones.</param>
    public SearchQuery Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, string? baseUrl = null) =>
        Parse(resourceType, [resourceType], parameters, strict, baseUrl);

    /// <summary>
    /// Parses a system-level search: the types of <c>_type</c> (all types when absent, then only the
    /// common parameters apply).
    /// </summary>
    public SearchQuery ParseSystem(IEnumerable<KeyValuePair<string, string>> parameters, bool strict, string? baseUrl = null)
    {
        var list = parameters.ToList();
        var types = list.Where(p => p.Key == "_type").SelectMany(p => SearchValues.SplitOr(p.Value)).Where(t => t.Length > 0).Distinct().ToList();
        foreach (var t in types)
        {
            if (!ResourceTypes.All.Contains(t))
            {
                throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '_type': '{t}' is not a resource type.", "_type");
            }
        }

        if (types.Count == 0)
        {
            types = [.. ResourceTypes.All];
        }

        return Parse(types.Count == 1 ? types[0] : "Resource", types, list, strict, baseUrl);
    }

    private SearchQuery Parse(string resourceType, IReadOnlyList<string> types, IEnumerable<KeyValuePair<string, string>> parameters, bool strict, string? baseUrl)
    {
        var context = new SearchParseContext(baseUrl, _valueSets);
        var criteria = new List<SearchCriterion>();
        var understood = new List<KeyValuePair<string, string>>();
        var ignored = new List<string>();
        var query = new SearchQuery(resourceType, criteria) { Types = types };
        foreach (var (name, value) in parameters)
        {
            if (ResultParameters.Contains(name) || name.StartsWith("_include", StringComparison.Ordinal) || name.StartsWith("_revinclude", StringComparison.Ordinal))
            {
                query = ResultParameter(query, types, name, value);
                understood.Add(KeyValuePair.Create(name, value));
                continue;
            }

            SearchCriterion? criterion;
            try
            {
                criterion = ParseCriterion(types, name, value, 0, context);
            }
            catch (FhirOutcomeException e) when (e.Kind == FailureKind.Invalid && e.Outcome.Issue.Count == 1
                && !e.Outcome.Issue[0].Expression.SequenceEqual([name]))
            {
                // A chain or _has failed on an inner part: the error names the parameter as the client wrote it.
                throw FhirOutcomeException.Of(FailureKind.Invalid, e.Outcome.Issue[0].Diagnostics ?? "Invalid search parameter.", name);
            }

            if (criterion is not null)
            {
                criteria.Add(criterion);
                understood.Add(KeyValuePair.Create(name, value));
            }
            else if (strict)
            {
                throw FhirOutcomeException.Of(
                    FailureKind.Invalid, $"Search parameter '{name}' is not supported for {string.Join(", ", types.Take(3))}.", name);
            }
            else
            {
                ignored.Add(name);
            }
        }

        return query with { Criteria = criteria, Understood = understood, Ignored = ignored };
    }

    private SearchCriterion? ParseCriterion(IReadOnlyList<string> types, string name, string value, int depth, SearchParseContext context)
    {
        if (depth > _maxDepth)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': chains and _has are limited to {_maxDepth} levels.", name);
        }

        if (name.StartsWith("_has:", StringComparison.Ordinal))
        {
            return ParseHas(types, name, value, depth, context);
        }

        var dot = name.IndexOf('.');
        if (dot > 0)
        {
            return ParseChain(types, name, dot, value, depth, context);
        }

        var colon = name.IndexOf(':');
        var code = colon < 0 ? name : name[..colon];
        var modifier = colon < 0 ? null : name[(colon + 1)..];
        var values = Values(name, value);
        if (code == "_id" && modifier is null)
        {
            return new IdCriterion(values.Select(SearchValues.Unescape).ToList());
        }

        if (code == "_lastUpdated" && modifier is null)
        {
            return new DateCriterion("_lastUpdated", values.Select(v => DateSearchParameter.ParseValue(name, v)).ToList());
        }

        var definition = Definition(types, code);
        if (definition is null || SearchParameterTypes.For(definition.Type) is not { } type)
        {
            return null;
        }

        if (modifier == "missing")
        {
            return values is ["true"] or ["false"]
                ? new MissingCriterion(code, type.Kind, values[0] == "true")
                : throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': :missing takes true or false.", name);
        }

        return type.Parse(definition, modifier, values, context);
    }

    /// <summary><c>_has:Observation:patient:code=x</c> (the rest may itself be a <c>_has</c>).</summary>
    private HasCriterion ParseHas(IReadOnlyList<string> types, string name, string value, int depth, SearchParseContext context)
    {
        var parts = name.Split(':', 4);
        if (parts.Length < 4 || !ResourceTypes.All.Contains(parts[1]))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': expected _has:Type:reference:parameter.", name);
        }

        var reference = catalog.Find(parts[1], parts[2]);
        if (reference?.Type != SearchParamType.Reference || (reference.Targets.Count > 0 && !types.Any(reference.Targets.Contains)))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, $"Search parameter '{name}': {parts[1]}.{parts[2]} is not a reference to {string.Join(", ", types.Take(3))}.", name);
        }

        var inner = ParseCriterion([parts[1]], parts[3], value, depth + 1, context)
            ?? throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': '{parts[3]}' is not a search parameter of {parts[1]}.", name);
        return new HasCriterion(parts[1], parts[2], inner);
    }

    /// <summary><c>subject:Patient.identifier=x</c>, <c>subject.organization.name=x</c>.</summary>
    private ChainCriterion? ParseChain(IReadOnlyList<string> types, string name, int dot, string value, int depth, SearchParseContext context)
    {
        var head = name[..dot];
        var tail = name[(dot + 1)..];
        var colon = head.IndexOf(':');
        var code = colon < 0 ? head : head[..colon];
        var targetType = colon < 0 ? null : head[(colon + 1)..];
        var definition = Definition(types, code);
        if (definition is null)
        {
            return null;
        }

        if (definition.Type != SearchParamType.Reference)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': {code} is not a reference, it cannot be chained.", name);
        }

        if (targetType is not null && !ResourceTypes.All.Contains(targetType))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': '{targetType}' is not a resource type.", name);
        }

        var tailCode = tail.Split(':', '.')[0];
        var candidates = targetType is not null ? [targetType] : definition.Targets.Count > 0 ? definition.Targets : ResourceTypes.All.ToList();
        var targets = candidates
            .Where(t => tail.StartsWith("_has:", StringComparison.Ordinal) || SearchParameterCatalog.ResourceColumns.Contains(tailCode) || catalog.Find(t, tailCode) is not null)
            .ToList();
        if (targets.Count == 0)
        {
            return null;
        }

        var inner = ParseCriterion(targets, tail, value, depth + 1, context);
        return inner is null ? null : new ChainCriterion(code, targets, inner);
    }

    /// <summary>The definition of <paramref name="code"/> on the searched types (all must have it, with one type).</summary>
    private SearchParameterInfo? Definition(IReadOnlyList<string> types, string code)
    {
        SearchParameterInfo? first = null;
        foreach (var t in types)
        {
            var d = catalog.Find(t, code);
            if (d is null || (first is not null && d.Type != first.Type))
            {
                return null;
            }

            first ??= d;
        }

        return first;
    }

    private SearchQuery ResultParameter(SearchQuery query, IReadOnlyList<string> types, string name, string value)
    {
        switch (name)
        {
            case "_count":
                return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                    ? query with { Count = count }
                    : throw FhirOutcomeException.Of(FailureKind.Invalid, "_count must be a non-negative integer.", "_count");
            case "_total":
                return query with
                {
                    Total = value switch
                    {
                        "none" => TotalMode.None,
                        "estimate" => TotalMode.Estimate,
                        "accurate" => TotalMode.Accurate,
                        _ => throw FhirOutcomeException.Of(FailureKind.Invalid, "_total must be none, estimate or accurate.", "_total"),
                    },
                };
            case "_summary":
                return query with
                {
                    Summary = value switch
                    {
                        "true" => SummaryMode.True,
                        "text" => SummaryMode.Text,
                        "data" => SummaryMode.Data,
                        "count" => SummaryMode.Count,
                        "false" => SummaryMode.False,
                        _ => throw FhirOutcomeException.Of(FailureKind.Invalid, "_summary must be true, text, data, count or false.", "_summary"),
                    },
                };
            case "_elements":
                return query with { Elements = [.. query.Elements, .. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] };
            case "_sort":
                return query with { Sort = [.. query.Sort, .. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => SortKeyOf(types, k))] };
            case "_page":
                return query with { PageToken = value };
            case "_format" or "_pretty" or "_type":
                return query;
        }

        var iterate = name.EndsWith(":iterate", StringComparison.Ordinal) || name.EndsWith(":recurse", StringComparison.Ordinal);
        var reverse = name.StartsWith("_revinclude", StringComparison.Ordinal);
        var bare = reverse ? "_revinclude" : "_include";
        if (name != bare && !iterate)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': the only modifier is :iterate.", name);
        }

        var spec = IncludeOf(name, value, iterate);
        return reverse ? query with { RevIncludes = [.. query.RevIncludes, spec] } : query with { Includes = [.. query.Includes, spec] };
    }

    private IncludeSpec IncludeOf(string name, string value, bool iterate)
    {
        if (value == "*")
        {
            return new IncludeSpec("*", "*", null, iterate);
        }

        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || !ResourceTypes.All.Contains(parts[0]))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': '{value}' is not Type:parameter[:targetType].", name);
        }

        if (parts[1] != "*" && catalog.Find(parts[0], parts[1])?.Type != SearchParamType.Reference)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': {parts[0]}.{parts[1]} is not a reference parameter.", name);
        }

        if (parts.Length == 3 && !ResourceTypes.All.Contains(parts[2]))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}': '{parts[2]}' is not a resource type.", name);
        }

        return new IncludeSpec(parts[0], parts[1], parts.Length == 3 ? parts[2] : null, iterate);
    }

    private SortKey SortKeyOf(IReadOnlyList<string> types, string key)
    {
        var descending = key.StartsWith('-');
        var code = descending ? key[1..] : key;
        if (SearchParameterCatalog.ResourceColumns.Contains(code))
        {
            return new SortKey(code, descending);
        }

        var definition = Definition(types, code);
        return definition?.Type is SearchParamType.String or SearchParamType.Date or SearchParamType.Number or SearchParamType.Quantity
            or SearchParamType.Uri or SearchParamType.Token or SearchParamType.Reference
            ? new SortKey(code, descending)
            : throw FhirOutcomeException.Of(FailureKind.Invalid, $"_sort: '{code}' is not a sortable search parameter of {string.Join(", ", types.Take(3))}.", "_sort");
    }

    private static List<string> Values(string name, string value)
    {
        var values = SearchValues.SplitOr(value).Where(v => v.Length > 0).ToList();
        return values.Count == 0
            ? throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}' has no value.", name)
            : values;
    }

    private sealed class NoValueSets : ILocalValueSets
    {
        public static readonly NoValueSets Instance = new();

        public IReadOnlyList<TokenValue>? Expand(string url) => null;
    }
}
