using System.Collections.Frozen;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// What a caller may see, as search criteria: every resource a search returns must satisfy them, whatever the
/// entry point (type, system, compartment search, <c>$everything</c>), in every part of the answer (matches,
/// <c>_include</c>/<c>_revinclude</c> with <c>:iterate</c> and <c>*</c>, totals), and resources reached through
/// chains and <c>_has</c> must satisfy them too (else a search could reveal facts about hidden resources). The
/// store applies it in its single WHERE builder and <see cref="SearchMatcher"/> in memory. Plain data set by the
/// server (issue 8's access policy), never parsed from a request.
/// </summary>
/// <param name="ByType">
/// Per resource type, criteria every returned resource of that type must satisfy (ANDed); an empty list allows
/// the type with no other filter than <see cref="Everywhere"/>.
/// </param>
/// <param name="OtherTypesAllowed">Whether types without an entry in <paramref name="ByType"/> may be returned at all.</param>
public sealed record SearchRestriction(IReadOnlyDictionary<string, IReadOnlyList<SearchCriterion>> ByType, bool OtherTypesAllowed)
{
    /// <summary>No restriction on types; add criteria with <see cref="And"/> or <see cref="WithoutSecurityLabel"/>.</summary>
    public static readonly SearchRestriction AllTypes = new(FrozenDictionary<string, IReadOnlyList<SearchCriterion>>.Empty, OtherTypesAllowed: true);

    /// <summary>Criteria every returned resource of any type must satisfy (e.g. a <c>_security:not</c> label).</summary>
    public IReadOnlyList<SearchCriterion> Everywhere { get; init; } = [];

    /// <summary>
    /// Only resources in the compartment of <c>{compartmentType}/{id}</c> (the owner itself included), from the
    /// compartment definition of <see cref="CompartmentDefinitions"/>; types outside the compartment (Practitioner,
    /// Organization, Medication…) are refused unless <paramref name="otherTypesAllowed"/>.
    /// </summary>
    public static SearchRestriction Compartment(string compartmentType, string id, bool otherTypesAllowed = false)
    {
        IReadOnlyList<SearchCriterion> member = [new CompartmentCriterion(compartmentType, id)];
        IEnumerable<string> types = compartmentType == "Patient" ? CompartmentDefinitions.Patient.Keys : [];
        return new SearchRestriction(types.ToFrozenDictionary(t => t, _ => member, StringComparer.Ordinal), otherTypesAllowed);
    }

    /// <summary>This restriction, also excluding resources whose <c>meta.security</c> has <c>system|code</c> (<c>_security:not</c>).</summary>
    public SearchRestriction WithoutSecurityLabel(string system, string code) =>
        And(new TokenCriterion("_security", [new TokenValue(system, code, NoSystem: false)]) { Modifier = TokenModifier.Not });

    /// <summary>This restriction, plus one criterion for every type.</summary>
    public SearchRestriction And(SearchCriterion everywhere) => this with { Everywhere = [.. Everywhere, everywhere] };

    /// <summary>Whether resources of <paramref name="resourceType"/> may be returned at all.</summary>
    public bool Allows(string resourceType) => OtherTypesAllowed || ByType.ContainsKey(resourceType);

    /// <summary>The criteria a resource of an allowed type must satisfy.</summary>
    public IReadOnlyList<SearchCriterion> CriteriaFor(string resourceType) =>
        ByType.TryGetValue(resourceType, out var own) ? [.. Everywhere, .. own] : Everywhere;
}
