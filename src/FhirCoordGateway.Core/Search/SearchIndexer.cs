using System.Collections.Concurrent;
using FhirCoordGateway.Core.Search.Parameters;
using Hl7.Fhir.ElementModel;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCoordGateway.Core.Search;

/// <summary>Search index settings (configuration section <c>Fhir:Search</c>).</summary>
public sealed class SearchOptions
{
    public const string Section = "Fhir:Search";

    /// <summary>False writes no index rows (only for measuring the cost of indexing: searches then find nothing).</summary>
    public bool IndexingEnabled { get; set; } = true;

    /// <summary>Cap of <c>_include</c>/<c>_revinclude</c> resources per page; beyond it an OperationOutcome entry says so.</summary>
    public int MaxIncludes { get; set; } = 500;

    /// <summary>Deepest chain (<c>a.b.c</c>) or <c>_has</c> nesting accepted.</summary>
    public int MaxChainDepth { get; set; } = 3;

    /// <summary>Statement timeout of <c>_total=accurate</c> counts, in milliseconds.</summary>
    public int CountTimeoutMs { get; set; } = 5000;
}

/// <summary>
/// Extracts the search index rows of a resource at write time, with each parameter's FHIRPath expression
/// compiled once and cached by text (as fhir-server's TypedElementSearchIndexer does).
/// </summary>
public sealed class SearchIndexer(SearchParameterCatalog catalog, SearchOptions? options = null)
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
    private readonly ConcurrentDictionary<string, CompiledExpression> _compiled = new();
    private readonly bool _enabled = options?.IndexingEnabled ?? true;

    public SearchParameterCatalog Catalog => catalog;

    public SearchIndexRows Extract(Resource resource) => _enabled ? ExtractAlways(resource) : new SearchIndexRows();

    /// <summary>Extracts even when indexing is disabled (the reindex job).</summary>
    public SearchIndexRows ExtractAlways(Resource resource)
    {
        var rows = new SearchIndexRows();
        var node = resource.ToPocoNode();
        var context = Context(node);
        ValueEvaluator evaluate = (expression, focus) => Compile(expression).Invoke([focus.ToPocoNode()], context).Select(n => n.Poco).OfType<Base>();
        foreach (var parameter in catalog.For(resource.TypeName))
        {
            if (parameter.Expression is null || SearchParameterTypes.For(parameter.Type) is not { } type)
            {
                continue;
            }

            IEnumerable<PocoNode> values;
            try
            {
                values = Compile(parameter.Expression).Invoke([node], context).ToList();
            }
            catch (InvalidOperationException)
            {
                continue; // an expression the engine cannot run on this instance indexes nothing
            }

            foreach (var value in values)
            {
                if (value.Poco is Base poco)
                {
                    type.Extract(parameter, poco, rows, evaluate);
                }
            }
        }

        return rows.Deduplicate();
    }

    private CompiledExpression Compile(string expression) => _compiled.GetOrAdd(expression, Compiler.Compile);

    /// <summary>Why <paramref name="expression"/> does not compile (syntax, unknown function), or null when it does.</summary>
    public string? ExpressionError(string expression)
    {
        try
        {
            Compile(expression);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The compiler reports parse and binding errors with several exception types; the message names the
            // position and the token, never resource data.
            return e.Message;
        }
    }

    /// <summary><c>resolve()</c> (e.g. <c>subject.where(resolve() is Patient)</c>) gets a typed stub of the referenced resource.</summary>
    private static FhirEvaluationContext Context(PocoNode node) => new FhirEvaluationContext
    {
        ElementResolver = reference =>
        {
            var parts = reference.Split('/');
            if (parts.Length >= 4 && parts[^2] == "_history")
            {
                parts = parts[..^2];
            }

            if (parts.Length < 2 || ModelInfo.GetTypeForFhirType(parts[^2]) is not { IsAbstract: false } type
                || !typeof(Resource).IsAssignableFrom(type))
            {
                return null;
            }

            var stub = (Resource)Activator.CreateInstance(type)!;
            stub.Id = parts[^1];
            return stub.ToPocoNode();
        },
    }.WithResourceOverrides(node);
}
