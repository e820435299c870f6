using System.Text.RegularExpressions;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// What a transaction has decided so far: which entry writes which resource (two entries may never touch
/// the same resource: 400, rather than silently dropping one as HAPI #8183 does), and the fullUrl of each
/// entry mapped to the <c>[type]/[id]</c> it became.
/// </summary>
public sealed partial class TransactionPlan(IReadOnlyList<TransactionEntry> entries)
{
    private readonly Dictionary<string, string> _fullUrls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionEntry?> _claims = new(StringComparer.Ordinal);
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    public IReadOnlyList<TransactionEntry> Entries => entries;

    public IReadOnlyDictionary<string, string> FullUrls => _fullUrls;

    /// <summary><c>[type]/[id]</c> of every resource the bundle creates or updates (deleted ones excluded).</summary>
    public IReadOnlySet<string> Written => _written;

    /// <summary>Records that <paramref name="entry"/> (null: the server on the bundle's behalf) writes <paramref name="key"/>; 400 if another already does.</summary>
    public void Claim(TransactionEntry? entry, string key, bool deletes = false)
    {
        if (_claims.TryGetValue(key, out var other))
        {
            var first = other?.Describe ?? "a replacement made by this server";
            var second = entry?.Describe ?? "a replacement made by this server";
            throw FhirOutcomeException.Of(
                FailureKind.Invalid,
                $"{first} and {second} both touch {key}; a transaction may change each resource once.",
                (entry ?? other)?.Location);
        }

        _claims[key] = entry;
        if (!deletes)
        {
            _written.Add(key);
        }

        if (entry?.FullUrl is { } fullUrl)
        {
            _fullUrls[fullUrl] = key;
        }
    }

    public bool IsClaimed(string key) => _claims.ContainsKey(key);

    /// <summary>
    /// Replaces the <c>urn:uuid:</c>/<c>urn:oid:</c> fullUrls named in conditional criteria with the ids they
    /// became. Null while one of them belongs to an entry not resolved yet (the caller retries later).
    /// <paramref name="entry"/> is the entry whose criteria these are.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Substitute(string criteria, TransactionEntry entry)
    {
        var waiting = false;
        var result = QueryText.Parse(criteria).Select(p => new KeyValuePair<string, string>(p.Key, Placeholder().Replace(p.Value, m =>
        {
            if (_fullUrls.TryGetValue(m.Value, out var key))
            {
                return key;
            }

            // Waits for an entry not resolved yet; any other urn (an identifier system, say) is just text.
            waiting |= entries.Any(e => e.FullUrl == m.Value);
            return m.Value;
        }))).ToList();
        return waiting ? null : result;
    }

    [GeneratedRegex(@"urn:(uuid|oid):[A-Za-z0-9.\-]+")]
    private static partial Regex Placeholder();
}
