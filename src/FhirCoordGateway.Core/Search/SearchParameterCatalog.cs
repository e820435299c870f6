using System.Collections.Frozen;
using FhirCoordGateway.Core.Interactions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Core.Search;

/// <summary>One search parameter of one resource type, as the server indexes and answers it.</summary>
/// <param name="Components">For a composite: each component's parameter type and expression (relative to the composite's element).</param>
public sealed record SearchParameterInfo(
    string ResourceType,
    string Code,
    SearchParamType Type,
    string? Url,
    string? Expression,
    string? Description,
    IReadOnlyList<string> Targets,
    IReadOnlyList<CompositeComponent> Components,
    bool Custom = false)
{
    /// <summary>The key the store derives its parameter id from: <c>Patient.name</c>.</summary>
    public string Key => ResourceType + "." + Code;
}

public sealed record CompositeComponent(SearchParamType Type, string Expression);

/// <summary>
/// The search parameters of every resource type: every R4 definition of the SDK's model info, the common
/// parameters it lacks (<c>_tag</c>, <c>_profile</c>, <c>_security</c>, <c>_source</c>; <c>_id</c> and
/// <c>_lastUpdated</c> are answered from the resource table), and custom SearchParameters (profiles/).
/// https://hl7.org/fhir/R4/searchparameter-registry.html
/// </summary>
public sealed class SearchParameterCatalog
{
    /// <summary>Common parameters answered from the resource row itself, never indexed.</summary>
    public static readonly FrozenSet<string> ResourceColumns = FrozenSet.ToFrozenSet(["_id", "_lastUpdated"]);

    /// <summary>Composites whose components the index supports: a token first, then token, quantity, number, date or string.</summary>
    private static readonly FrozenSet<SearchParamType> SecondComponentTypes = FrozenSet.ToFrozenSet(
        [SearchParamType.Token, SearchParamType.Quantity, SearchParamType.Number, SearchParamType.Date, SearchParamType.String]);

    /// <summary>The SDK's definitions and the common parameters, built once (the catalog overlays custom ones on a copy).</summary>
    private static readonly Lazy<Dictionary<string, Dictionary<string, SearchParameterInfo>>> CoreDefinitions = new(BuildCore);

    private readonly IReadOnlyList<SearchParameter> _profiles;
    private readonly Dictionary<string, SearchParameter> _stored = new(StringComparer.Ordinal);
    private readonly Lock _rebuild = new();
    private volatile FrozenDictionary<string, FrozenDictionary<string, SearchParameterInfo>> _byType;

    public SearchParameterCatalog()
        : this([])
    {
    }

    /// <param name="custom">SearchParameter resources (e.g. from profiles/); one replaces a core definition of the same base and code.</param>
    public SearchParameterCatalog(IEnumerable<SearchParameter> custom)
    {
        _profiles = custom.ToList();
        _byType = Build(_profiles);
    }

    /// <summary>
    /// Adds or replaces a SearchParameter stored through the API (key <c>SearchParameter/{id}</c>); searches and
    /// writes that start afterwards use it. Stored ones come after profiles/ ones, so they win on the same base and code.
    /// </summary>
    public void AddOrReplace(string key, SearchParameter parameter)
    {
        lock (_rebuild)
        {
            _stored[key] = parameter;
            _byType = Build(_profiles.Concat(_stored.Values));
        }
    }

    /// <summary>Removes a stored SearchParameter (deleted or retired); a core definition it replaced comes back.</summary>
    public void Remove(string key)
    {
        lock (_rebuild)
        {
            if (_stored.Remove(key))
            {
                _byType = Build(_profiles.Concat(_stored.Values));
            }
        }
    }

    private static FrozenDictionary<string, FrozenDictionary<string, SearchParameterInfo>> Build(IEnumerable<SearchParameter> custom)
    {
        var all = CoreDefinitions.Value.ToDictionary(kv => kv.Key, kv => new Dictionary<string, SearchParameterInfo>(kv.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var sp in custom)
        {
            if (sp.Code is null || sp.Expression is null || sp.Type is not { } type)
            {
                continue;
            }

            foreach (var b in sp.Base ?? [])
            {
                if (b is { } baseType && all.TryGetValue(baseType.GetLiteral(), out var ofType))
                {
                    ofType[sp.Code] = new SearchParameterInfo(
                        baseType.GetLiteral(), sp.Code, type, sp.Url, sp.Expression, sp.Description,
                        (sp.Target ?? []).OfType<Enum>().Select(t => t.GetLiteral()).ToList(), [], Custom: true);
                }
            }
        }

        return all.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    private static Dictionary<string, Dictionary<string, SearchParameterInfo>> BuildCore()
    {
        var typeByUrl = ModelInfo.SearchParameters
            .Where(p => p.Url is not null)
            .GroupBy(p => p.Url!)
            .ToDictionary(g => g.Key, g => g.First().Type);
        var all = new Dictionary<string, Dictionary<string, SearchParameterInfo>>(StringComparer.Ordinal);
        foreach (var type in ResourceTypes.All)
        {
            all[type] = new Dictionary<string, SearchParameterInfo>(StringComparer.Ordinal)
            {
                ["_tag"] = Common(type, "_tag", SearchParamType.Token, "meta.tag", "Tags of the resource (Resource.meta.tag)."),
                ["_security"] = Common(type, "_security", SearchParamType.Token, "meta.security", "Security labels (Resource.meta.security)."),
                ["_profile"] = Common(type, "_profile", SearchParamType.Uri, "meta.profile", "Profiles the resource claims (Resource.meta.profile)."),
                ["_source"] = Common(type, "_source", SearchParamType.Uri, "meta.source", "Source of the resource (Resource.meta.source)."),
            };
        }

        foreach (var p in ModelInfo.SearchParameters)
        {
            if (p.Resource is null || p.Code is null || p.Expression is null || !all.TryGetValue(p.Resource, out var ofType)
                || p.Code.StartsWith('_'))
            {
                continue;
            }

            var components = (p.Component ?? [])
                .Select(c => typeByUrl.TryGetValue(c.Definition ?? "", out var t) ? new CompositeComponent(t, c.Expression!) : null)
                .ToList();
            if (p.Type == SearchParamType.Composite && !SupportedComposite(components))
            {
                continue;
            }

            ofType.TryAdd(p.Code, new SearchParameterInfo(
                p.Resource, p.Code, p.Type, p.Url, Narrow(p.Expression, p.Resource), Documentation(p.Description?.ToString(), p.Type, p.Expression),
                (p.Target ?? []).Select(t => t.GetLiteral()).ToList(), components.OfType<CompositeComponent>().ToList()));
        }

        return all;
    }

    /// <summary>The parameter <paramref name="code"/> of <paramref name="resourceType"/>, or null.</summary>
    public SearchParameterInfo? Find(string resourceType, string code) =>
        _byType.TryGetValue(resourceType, out var ofType) ? ofType.GetValueOrDefault(code) : null;

    /// <summary>The indexed parameters of one resource type.</summary>
    public IEnumerable<SearchParameterInfo> For(string resourceType) =>
        _byType.TryGetValue(resourceType, out var ofType) ? ofType.Values.OrderBy(p => p.Code, StringComparer.Ordinal) : [];

    /// <summary>Every indexed parameter of every type.</summary>
    public IEnumerable<SearchParameterInfo> All => _byType.Values.SelectMany(v => v.Values);

    private static SearchParameterInfo Common(string type, string code, SearchParamType t, string expression, string doc) =>
        new(type, code, t, "http://hl7.org/fhir/SearchParameter/Resource-" + code.TrimStart('_').ToLowerInvariant(), expression, doc, [], []);

    /// <summary>
    /// Keeps the branches of a shared union (<c>Account.subject | CarePlan.subject | …</c>) that apply to
    /// <paramref name="type"/>: the others evaluate to nothing on it but still cost their evaluation (a CarePlan's
    /// <c>date</c> expression has 20 branches).
    /// </summary>
    internal static string Narrow(string expression, string type)
    {
        var branches = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == '|')
            {
                branches.Add(expression[start..i].Trim());
                start = i + 1;
            }
        }

        branches.Add(expression[start..].Trim());
        if (branches.Count == 1)
        {
            return expression;
        }

        var kept = branches.Where(b =>
        {
            var head = b.TrimStart('(').Trim();
            var dot = head.IndexOf('.');
            var first = dot < 0 ? head : head[..dot];
            return first == type || !ResourceTypes.All.Contains(first) && first is not ("Resource" or "DomainResource");
        }).ToList();
        return kept.Count == 0 ? expression : string.Join(" | ", kept);
    }

    /// <summary>The definition's description, or (the SDK's model info carries none for most) its type and expression.</summary>
    private static string Documentation(string? description, SearchParamType type, string? expression) =>
        description is { Length: > 0 } d ? d : $"{type.GetLiteral()} search on {expression}.";

    private static bool SupportedComposite(List<CompositeComponent?> components) =>
        components.Count == 2 && components[0]?.Type == SearchParamType.Token && components[1] is { } second
        && SecondComponentTypes.Contains(second.Type);
}
