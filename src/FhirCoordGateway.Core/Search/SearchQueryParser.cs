using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Turns query parameters into a <see cref="SearchQuery"/>. This first version knows <c>_id</c> and the
/// <c>identifier</c> token parameter of every type that defines one; the full engine replaces the lookup.
/// </summary>
public sealed class SearchQueryParser(SearchParameterCatalog catalog)
{
    /// <summary>Parameters that control the response rather than select resources.</summary>
    private static readonly HashSet<string> ResultParameters =
        ["_format", "_pretty", "_count", "_summary", "_elements", "_sort", "_total", "_include", "_revinclude", "_page"];

    /// <summary>
    /// Parses the criteria of a search. With <paramref name="strict"/> an unknown parameter is a 400
    /// (conditional interactions must never ignore a criterion: they would act on the wrong resource).
    /// </summary>
    public SearchQuery Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> parameters, bool strict)
    {
        var criteria = new List<SearchCriterion>();
        foreach (var (name, value) in parameters)
        {
            if (ResultParameters.Contains(name))
            {
                continue;
            }

            var criterion = ParseOne(resourceType, name, value);
            if (criterion is not null)
            {
                criteria.Add(criterion);
            }
            else if (strict)
            {
                throw FhirOutcomeException.Of(
                    FailureKind.Invalid, $"Search parameter '{name}' is not supported for {resourceType}.", name);
            }
        }

        return new SearchQuery(resourceType, criteria);
    }

    private SearchCriterion? ParseOne(string resourceType, string name, string value)
    {
        if (name.Contains(':'))
        {
            return null; // modifiers come with the full search engine
        }

        var values = SearchValues.SplitOr(value).Where(v => v.Length > 0).ToList();
        if (values.Count == 0)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Search parameter '{name}' has no value.", name);
        }

        if (name == "_id")
        {
            return new IdCriterion(values.Select(SearchValues.Unescape).ToList());
        }

        var definition = catalog.Find(resourceType, name);
        if (definition?.Type != SearchParamType.Token)
        {
            return null;
        }

        return new TokenCriterion(name, values.Select(TokenValue.Parse).ToList());
    }
}
