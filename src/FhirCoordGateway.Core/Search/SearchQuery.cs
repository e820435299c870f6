namespace FhirCoordGateway.Core.Search;

/// <summary>
/// A parsed FHIR search: one plain record that the SQL builder and, later, subscription matching read.
/// Criteria are ANDed; the values inside one criterion are ORed. <see cref="ResourceType"/> is the searched
/// type; a system search (<c>_type</c>) lists several in <see cref="Types"/>.
/// </summary>
public sealed record SearchQuery(string ResourceType, IReadOnlyList<SearchCriterion> Criteria)
{
    /// <summary>The resource types searched; by default only <see cref="ResourceType"/>.</summary>
    public IReadOnlyList<string> Types { get; init; } = [ResourceType];

    public IReadOnlyList<SortKey> Sort { get; init; } = [];

    /// <summary><c>_count</c> as asked (the handler caps it), or null.</summary>
    public int? Count { get; init; }

    public TotalMode Total { get; init; } = TotalMode.Default;

    public SummaryMode Summary { get; init; } = SummaryMode.None;

    public IReadOnlyList<string> Elements { get; init; } = [];

    public IReadOnlyList<IncludeSpec> Includes { get; init; } = [];

    public IReadOnlyList<IncludeSpec> RevIncludes { get; init; } = [];

    /// <summary>The opaque <c>_page</c> token of a next link, or null for the first page.</summary>
    public string? PageToken { get; init; }

    /// <summary>The parameters understood, in canonical form, for the self link (unknown ones are left out).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Understood { get; init; } = [];

    /// <summary>Parameters that were ignored because the server does not know them (non-strict handling).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>
    /// What the caller may see (issue 8): applied by the store to every resource this search returns, includes and
    /// totals included. Null = no restriction. Never parsed from the request.
    /// </summary>
    public SearchRestriction? Restriction { get; init; }

    public bool IsEmpty => Criteria.Count == 0;
}

public enum TotalMode
{
    /// <summary>No <c>_total</c>: given only when it is free (a first page that is not full).</summary>
    Default,
    None,
    Estimate,
    Accurate,
}

public enum SummaryMode
{
    None,
    True,
    Text,
    Data,
    Count,
    False,
}

/// <param name="Parameter">A parameter code, <c>_id</c> or <c>_lastUpdated</c>.</param>
public sealed record SortKey(string Parameter, bool Descending);

/// <summary>
/// <c>_include=Source:param[:Target]</c> or <c>_revinclude=...</c>; <see cref="Parameter"/> <c>*</c> means
/// every reference parameter of the source type. https://hl7.org/fhir/R4/search.html#include
/// </summary>
public sealed record IncludeSpec(string SourceType, string Parameter, string? TargetType, bool Iterate);

/// <summary>One ANDed criterion; <see cref="Parameter"/> is the parameter code it applies to.</summary>
public abstract record SearchCriterion(string Parameter);

/// <summary><c>_id=a,b</c>: the logical id is one of <see cref="Ids"/>.</summary>
public sealed record IdCriterion(IReadOnlyList<string> Ids) : SearchCriterion("_id");

public enum TokenModifier
{
    None,
    Not,
    OfType,
    In,
    NotIn,
}

/// <summary>A token parameter such as <c>identifier=system|value</c>; <see cref="Modifier"/> <c>:not</c> negates it.</summary>
public sealed record TokenCriterion(string Parameter, IReadOnlyList<TokenValue> Values) : SearchCriterion(Parameter)
{
    /// <summary>
    /// <see cref="TokenModifier.OfType"/> searches the synthetic <c>param:of-type</c> rows (system = type system|type code);
    /// <see cref="TokenModifier.In"/>/<see cref="TokenModifier.NotIn"/> arrive here with the ValueSet expanded.
    /// </summary>
    public TokenModifier Modifier { get; init; } = TokenModifier.None;

    public bool Negated => Modifier is TokenModifier.Not or TokenModifier.NotIn;

    /// <summary>The parameter whose index rows hold the values (differs for <c>:of-type</c>).</summary>
    public string IndexParameter => Modifier == TokenModifier.OfType ? Parameter + ":of-type" : Parameter;
}

/// <summary>
/// One token value: <c>system|code</c> (both), <c>|code</c> (no system: <see cref="NoSystem"/>), <c>code</c>
/// (any system) or <c>system|</c> (any code). https://hl7.org/fhir/R4/search.html#token
/// </summary>
public sealed record TokenValue(string? System, string? Code, bool NoSystem)
{
    public static TokenValue Parse(string text)
    {
        var bar = SearchValues.IndexOfUnescaped(text, '|');
        if (bar < 0)
        {
            return new TokenValue(null, SearchValues.Unescape(text), false);
        }

        var system = SearchValues.Unescape(text[..bar]);
        var code = SearchValues.Unescape(text[(bar + 1)..]);
        return new TokenValue(
            system.Length == 0 ? null : system,
            code.Length == 0 ? null : code,
            NoSystem: system.Length == 0);
    }
}

public enum StringMatch
{
    StartsWith,
    Exact,
    Contains,
}

/// <summary>A string parameter (also token <c>:text</c>, on the synthetic <c>param:text</c> rows).</summary>
public sealed record StringCriterion(string Parameter, StringMatch Match, IReadOnlyList<string> Values) : SearchCriterion(Parameter);

public enum Prefix
{
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Sa,
    Eb,
    Ap,
}

/// <summary>A date value: its prefix and the closed range its precision covers.</summary>
public sealed record DateValue(Prefix Prefix, DateTimeOffset Low, DateTimeOffset High);

/// <summary>A date parameter, <c>_lastUpdated</c> included.</summary>
public sealed record DateCriterion(string Parameter, IReadOnlyList<DateValue> Values) : SearchCriterion(Parameter);

/// <summary>A number: the value and the half-open range its precision covers (<c>100</c> is [99.5, 100.5)).</summary>
public sealed record NumberValue(Prefix Prefix, decimal Value, decimal Low, decimal High);

public sealed record NumberCriterion(string Parameter, IReadOnlyList<NumberValue> Values) : SearchCriterion(Parameter);

/// <summary><c>[prefix]number|system|code</c>; <see cref="System"/> null with a code matches code or unit.</summary>
public sealed record QuantityValue(NumberValue Number, string? System, string? Code);

public sealed record QuantityCriterion(string Parameter, IReadOnlyList<QuantityValue> Values) : SearchCriterion(Parameter);

public enum UriMatch
{
    Equals,
    Below,
    Above,
}

public sealed record UriCriterion(string Parameter, UriMatch Match, IReadOnlyList<string> Values) : SearchCriterion(Parameter);

/// <summary>
/// A reference value: <c>Type/id</c>, a bare id (any target type, or the <c>:Type</c> modifier's), or a URL
/// (absolute reference or canonical) held in <see cref="Url"/>.
/// </summary>
public sealed record ReferenceValue(string? Type, string? Id, string? Url);

public sealed record ReferenceCriterion(string Parameter, IReadOnlyList<ReferenceValue> Values) : SearchCriterion(Parameter);

/// <summary><c>param:missing=true|false</c>.</summary>
public sealed record MissingCriterion(string Parameter, SearchParamKind Kind, bool Missing) : SearchCriterion(Parameter);

/// <summary>Parameter types as the store groups them (one index table each).</summary>
public enum SearchParamKind
{
    Token,
    String,
    Date,
    Number,
    Quantity,
    Uri,
    Reference,
    Composite,
}

/// <summary>
/// Chaining: <c>subject:Patient.identifier=...</c> — the reference <see cref="Parameter"/> points at a resource of
/// one of <see cref="TargetTypes"/> that matches <see cref="Inner"/> (itself possibly a chain).
/// https://hl7.org/fhir/R4/search.html#chaining
/// </summary>
public sealed record ChainCriterion(string Parameter, IReadOnlyList<string> TargetTypes, SearchCriterion Inner) : SearchCriterion(Parameter);

/// <summary>
/// Reverse chaining: <c>_has:Observation:patient:code=...</c> — some <see cref="SourceType"/> resource whose
/// <see cref="ReferenceParameter"/> points at this one matches <see cref="Inner"/> (possibly another <c>_has</c>).
/// https://hl7.org/fhir/R4/search.html#has
/// </summary>
public sealed record HasCriterion(string SourceType, string ReferenceParameter, SearchCriterion Inner) : SearchCriterion("_has");

/// <summary>A composite value: the first component's token and the second's value, one of the kinds.</summary>
public sealed record CompositeValue(TokenValue First, TokenValue? SecondToken, NumberValue? SecondNumber, DateValue? SecondDate, string? SecondString);

public sealed record CompositeCriterion(string Parameter, IReadOnlyList<CompositeValue> Values) : SearchCriterion(Parameter);

/// <summary>
/// Compartment membership (<c>Patient/123/CarePlan</c>, <c>$everything</c>, the patient-scope filter of issue 8):
/// the resource is the compartment's owner or refers to it through one of the compartment's parameters. A null
/// <see cref="Id"/> means the compartment of any owner (a Patient-level <c>$export</c>: whatever belongs to some patient).
/// https://hl7.org/fhir/R4/compartmentdefinition-patient.html
/// </summary>
public sealed record CompartmentCriterion(string CompartmentType, string? Id) : SearchCriterion("_compartment");

/// <summary>
/// Server-set only (a <see cref="SearchRestriction"/>, never parsed from a request): satisfied when every criterion
/// of at least one alternative is, e.g. "not labelled MASQUE_PS, or authored by the caller" (ADR 0012).
/// </summary>
public sealed record AnyOfCriterion(IReadOnlyList<IReadOnlyList<SearchCriterion>> Alternatives) : SearchCriterion("_anyOf");

/// <summary>A deterministic text for a query, used as the lock key of conditional interactions.</summary>
public static class SearchQueryKey
{
    public static string Of(SearchQuery query)
    {
        var parts = query.Criteria.Select(Of).Order(StringComparer.Ordinal);
        return query.ResourceType + "?" + string.Join('&', parts);
    }

    /// <summary>A deterministic text for one criterion.</summary>
    public static string Of(SearchCriterion c) => c switch
    {
        IdCriterion id => "_id=" + Join(id.Ids),
        TokenCriterion t => t.Parameter + ":" + t.Modifier + "=" + Join(t.Values.Select(v => $"{v.System}|{v.Code}|{v.NoSystem}")),
        StringCriterion s => s.Parameter + ":" + s.Match + "=" + Join(s.Values),
        DateCriterion d => d.Parameter + "=" + Join(d.Values.Select(v => $"{v.Prefix}{v.Low:O}/{v.High:O}")),
        NumberCriterion n => n.Parameter + "=" + Join(n.Values.Select(Number)),
        QuantityCriterion q => q.Parameter + "=" + Join(q.Values.Select(v => $"{Number(v.Number)}|{v.System}|{v.Code}")),
        UriCriterion u => u.Parameter + ":" + u.Match + "=" + Join(u.Values),
        ReferenceCriterion r => r.Parameter + "=" + Join(r.Values.Select(v => $"{v.Type}/{v.Id}/{v.Url}")),
        MissingCriterion m => m.Parameter + ":missing=" + m.Missing,
        ChainCriterion ch => ch.Parameter + ":" + string.Join(',', ch.TargetTypes) + "." + Of(ch.Inner),
        HasCriterion h => "_has:" + h.SourceType + ":" + h.ReferenceParameter + ":" + Of(h.Inner),
        CompositeCriterion co => co.Parameter + "=" + Join(co.Values.Select(v => v.ToString())),
        CompartmentCriterion cp => "_compartment=" + cp.CompartmentType + "/" + (cp.Id ?? "*"),
        AnyOfCriterion any => "_anyOf=(" + string.Join(")|(", any.Alternatives.Select(a => string.Join('&', a.Select(Of).Order(StringComparer.Ordinal)))) + ")",
        _ => c.ToString(),
    };

    private static string Number(NumberValue v) => $"{v.Prefix}{v.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static string Join(IEnumerable<string> values) => string.Join(',', values.Order(StringComparer.Ordinal));
}
