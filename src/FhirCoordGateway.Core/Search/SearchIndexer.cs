using System.Collections.Concurrent;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.ElementModel;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Extracts the search index rows of a resource at write time, with each parameter's FHIRPath expression
/// compiled once and cached by text (as fhir-server's TypedElementSearchIndexer does).
/// </summary>
public sealed class SearchIndexer(SearchParameterCatalog catalog)
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
    private readonly ConcurrentDictionary<string, CompiledExpression> _compiled = new();

    public IReadOnlyList<TokenIndexEntry> Extract(Resource resource)
    {
        var tokens = new List<TokenIndexEntry>();
        var node = resource.ToPocoNode();
        var context = new FhirEvaluationContext().WithResourceOverrides(node);
        foreach (var parameter in catalog.For(resource.TypeName))
        {
            var expression = _compiled.GetOrAdd(parameter.Expression!, Compiler.Compile);
            foreach (var value in expression.Invoke([node], context))
            {
                if (value.Poco is Identifier { Value: { Length: > 0 } code } identifier)
                {
                    tokens.Add(new TokenIndexEntry(parameter.Code!, NullIfEmpty(identifier.System), code));
                }
            }
        }

        return tokens.Distinct().ToList();
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
