using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// What the search engine adds to the CapabilityStatement: <c>_lastUpdated</c>, the include/revinclude
/// parameters, system search with its common parameters, <c>Patient/$everything</c>, and the statement that
/// <c>_text</c>/<c>_content</c> are not supported. (Every indexed parameter is listed by the builder from the catalog.)
/// </summary>
public sealed class SearchCapabilities(SearchParameterCatalog catalog) : ICapabilityContributor
{
    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        foreach (var resource in rest.Resource)
        {
            var type = resource.Type!;
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
            {
                Name = "_lastUpdated", Type = SearchParamType.Date, Definition = "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
                Documentation = "When the resource version was stored; all prefixes.",
            });
            var references = catalog.For(type).Where(p => p.Type == SearchParamType.Reference).Select(p => $"{type}:{p.Code}").ToList();
            resource.SearchInclude = ["*", .. references];
            resource.SearchRevInclude = catalog.All.Where(p => p.Type == SearchParamType.Reference && (p.Targets.Count == 0 || p.Targets.Contains(type)))
                .Select(p => $"{p.ResourceType}:{p.Code}").Order(StringComparer.Ordinal).ToList();
            resource.Documentation = "Search: string (:exact :contains), token (:not :text :of-type :in :not-in), date/number/quantity prefixes, "
                + "uri (:below :above), reference (:Type :identifier), :missing, composite, chaining, _has, _sort, _count, _total, _summary, _elements, "
                + "_include/_revinclude (:iterate). _text and _content are not supported.";
            if (type == "Patient")
            {
                resource.Operation.Add(new CapabilityStatement.OperationComponent { Name = "everything", Definition = "http://hl7.org/fhir/OperationDefinition/Patient-everything" });
            }
        }

        rest.Interaction.Add(new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.SearchSystem });
        rest.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_id", Type = SearchParamType.Token, Documentation = "System search with _type." });
        rest.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_lastUpdated", Type = SearchParamType.Date });
        foreach (var common in new[] { "_tag", "_security", "_profile", "_source" })
        {
            if (catalog.Find("Patient", common) is { } p)
            {
                rest.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = p.Code, Type = p.Type, Definition = p.Url, Documentation = p.Description });
            }
        }

        rest.Operation.Add(new CapabilityStatement.OperationComponent { Name = "reindex", Definition = "https://fhircoord.example/fhir/OperationDefinition/reindex" });
        rest.Documentation = (rest.Documentation is null ? "" : rest.Documentation + " ")
            + "Search parameters _text and _content are not supported (ignored, or 400 under Prefer: handling=strict).";
    }
}
