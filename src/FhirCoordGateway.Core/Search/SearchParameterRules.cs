using System.Collections.Frozen;
using System.Text.RegularExpressions;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Checks a SearchParameter resource before it is stored: once committed it joins the running catalog
/// (<see cref="SearchParameterCatalogUpdater"/>) and every later write of its base types evaluates it, so a
/// definition the index cannot run is refused (422) instead of breaking writes. An accepted one gets an
/// information issue: resources stored before it are found only after <c>$reindex</c>.
/// https://hl7.org/fhir/R4/searchparameter.html
/// </summary>
public static partial class SearchParameterRules
{
    /// <summary>The FHIR types each parameter type can index (https://hl7.org/fhir/R4/search.html#ptypes).</summary>
    private static readonly FrozenDictionary<SearchParamType, FrozenSet<string>> IndexableTypes = new Dictionary<SearchParamType, FrozenSet<string>>
    {
        [SearchParamType.Number] = FrozenSet.ToFrozenSet(["integer", "decimal", "positiveInt", "unsignedInt"]),
        [SearchParamType.Date] = FrozenSet.ToFrozenSet(["date", "dateTime", "instant", "Period", "Timing"]),
        [SearchParamType.String] = FrozenSet.ToFrozenSet(["string", "markdown", "HumanName", "Address"]),
        [SearchParamType.Token] = FrozenSet.ToFrozenSet(["boolean", "code", "string", "uri", "id", "Coding", "CodeableConcept", "Identifier", "ContactPoint"]),
        [SearchParamType.Reference] = FrozenSet.ToFrozenSet(["Reference", "canonical", "uri", "url"]),
        [SearchParamType.Quantity] = FrozenSet.ToFrozenSet(["Quantity", "SimpleQuantity", "Money", "Age", "Duration", "Distance", "Count"]),
        [SearchParamType.Uri] = FrozenSet.ToFrozenSet(["uri", "url", "canonical", "oid", "uuid"]),
    }.ToFrozenDictionary();

    /// <returns>Errors (the write is refused), or one information issue about <c>$reindex</c>.</returns>
    public static IReadOnlyList<OperationOutcome.IssueComponent> Check(SearchParameter parameter, SearchIndexer indexer)
    {
        var errors = new List<OperationOutcome.IssueComponent>();
        void Error(string message, string expression) =>
            errors.Add(Outcomes.Outcomes.Issue(OperationOutcome.IssueSeverity.Error, OperationOutcome.IssueType.Processing, message, expression));

        if (parameter.Code is not { } code || !CodePattern().IsMatch(code))
        {
            Error("A search parameter code is a letter followed by letters, digits, '-' or '_'.", "SearchParameter.code");
        }

        var bases = (parameter.BaseElement ?? []).Select(b => b.JsonValue as string ?? b.Value?.GetLiteral()).ToList();
        if (bases.Count == 0)
        {
            Error("A search parameter needs at least one base resource type.", "SearchParameter.base");
        }

        for (var i = 0; i < bases.Count; i++)
        {
            if (bases[i] is not { } b || !ResourceTypes.All.Contains(b))
            {
                Error($"'{bases[i]}' is not a concrete resource type this server indexes.", $"SearchParameter.base[{i}]");
            }
        }

        if (parameter.Type is not { } type || !IndexableTypes.ContainsKey(type))
        {
            Error("Only number, date, string, token, reference, quantity and uri search parameters can be added (composite and special cannot).", "SearchParameter.type");
        }

        if (string.IsNullOrWhiteSpace(parameter.Expression))
        {
            Error("A search parameter needs a FHIRPath expression to be indexed.", "SearchParameter.expression");
        }
        else if (indexer.ExpressionError(parameter.Expression) is { } compileError)
        {
            Error($"The expression is not valid FHIRPath: {compileError}", "SearchParameter.expression");
        }
        else if (parameter.Type is { } t && IndexableTypes.TryGetValue(t, out var indexable))
        {
            foreach (var b in bases.OfType<string>().Where(ResourceTypes.All.Contains))
            {
                if (PathType(parameter.Expression, b) is { } selected && !indexable.Contains(selected))
                {
                    Error($"The expression selects {selected} on {b}, which a {t.GetLiteral()} parameter cannot index.", "SearchParameter.type");
                }
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        return
        [
            Outcomes.Outcomes.Issue(
                OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational,
                $"Search parameter '{parameter.Code}' is used by searches and writes from now on; resources of {string.Join(", ", bases)} stored before it "
                + $"are found by it only after POST [base]/$reindex?resourceType={bases[0]} (one call per type).",
                "SearchParameter"),
        ];
    }

    /// <summary>
    /// The FHIR type a plain path (<c>Patient.name.family</c>) selects, or null when the expression is not a plain
    /// path or its type is not one type (a choice, a function): only then can the type be checked before indexing.
    /// </summary>
    private static string? PathType(string expression, string baseType)
    {
        var parts = expression.Trim().Split('.');
        if (parts.Length < 2 || parts[0] != baseType || !parts.Skip(1).All(p => ElementName().IsMatch(p))
            || ModelInfo.ModelInspector.FindClassMapping(baseType) is not { } current)
        {
            return null;
        }

        foreach (var part in parts.Skip(1))
        {
            if (current.FindMappedElementByName(part) is not { Choice: ChoiceType.None } property)
            {
                return null;
            }

            current = property.PropertyTypeMapping;
        }

        return current.IsAbstract is true ? null : current.Name;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_\\-]*\\z")]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[a-z][A-Za-z0-9]*\\z")]
    private static partial Regex ElementName();
}
