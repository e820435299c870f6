namespace FhirCoordGateway.Core.Search;

/// <summary>
/// The search index rows of one resource version, by parameter type. Values are kept as text (the store
/// hashes and folds them), so the same rows can later be matched in memory for subscriptions.
/// </summary>
public sealed class SearchIndexRows
{
    public List<TokenIndexEntry> Tokens { get; } = [];

    public List<StringIndexEntry> Strings { get; } = [];

    public List<DateIndexEntry> Dates { get; } = [];

    public List<NumberIndexEntry> Numbers { get; } = [];

    public List<QuantityIndexEntry> Quantities { get; } = [];

    public List<UriIndexEntry> Uris { get; } = [];

    public List<ReferenceIndexEntry> References { get; } = [];

    public List<CompositeIndexEntry> Composites { get; } = [];

    public int Count => Tokens.Count + Strings.Count + Dates.Count + Numbers.Count + Quantities.Count + Uris.Count + References.Count + Composites.Count;

    /// <summary>Removes duplicate rows (the same value reached by two paths).</summary>
    public SearchIndexRows Deduplicate()
    {
        Dedupe(Tokens);
        Dedupe(Strings);
        Dedupe(Dates);
        Dedupe(Numbers);
        Dedupe(Quantities);
        Dedupe(Uris);
        Dedupe(References);
        Dedupe(Composites);
        return this;
    }

    private static void Dedupe<T>(List<T> list)
    {
        if (list.Count > 1)
        {
            var distinct = list.Distinct().ToList();
            list.Clear();
            list.AddRange(distinct);
        }
    }
}

/// <summary>A token value; <see cref="System"/> is null when the element has none.</summary>
public sealed record TokenIndexEntry(string Parameter, string? System, string Code);

/// <summary>A string value as written; the store folds it (<see cref="StringFold"/>).</summary>
public sealed record StringIndexEntry(string Parameter, string Value);

/// <summary>A closed date range at the value's precision; open ends are Min/MaxValue.</summary>
public sealed record DateIndexEntry(string Parameter, DateTimeOffset Low, DateTimeOffset High);

public sealed record NumberIndexEntry(string Parameter, decimal Low, decimal High);

/// <summary>A quantity (or a range of them); <see cref="Low"/>/<see cref="High"/> null when unbounded.</summary>
public sealed record QuantityIndexEntry(string Parameter, decimal? Low, decimal? High, string? System, string? Code, string? Unit);

public sealed record UriIndexEntry(string Parameter, string Uri);

/// <summary>
/// A reference: <c>Type/id</c> in <see cref="TargetType"/>/<see cref="TargetId"/> when it names a resource,
/// and the absolute or canonical URL in <see cref="Url"/> when it has one.
/// </summary>
public sealed record ReferenceIndexEntry(string Parameter, string? TargetType, string? TargetId, string? Url);

/// <summary>A composite: the first component's token and the second component's value (one of the kinds).</summary>
public sealed record CompositeIndexEntry(
    string Parameter,
    string? System1,
    string Code1,
    string? System2,
    string? Code2,
    decimal? Low,
    decimal? High,
    DateTimeOffset? DateLow,
    DateTimeOffset? DateHigh);
