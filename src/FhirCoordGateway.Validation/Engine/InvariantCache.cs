using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hl7.Fhir.FhirPath;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace FhirCoordGateway.Validation.Engine;

/// <summary>
/// Process-wide cache of compiled FHIRPath invariants, by expression text (fhir-server's TypedElementSearchIndexer
/// does the same). A compile failure is cached too, so a broken expression costs once and is reported every time.
/// </summary>
internal static class InvariantCache
{
    // The plain compiler does not know hasValue(), resolve(), memberOf(), htmlChecks(): add the FHIR functions.
    private static readonly FhirPathCompiler Compiler = new(Symbols());
    private static readonly ConcurrentDictionary<string, Regex> Regexes = new(StringComparer.Ordinal);

    private static SymbolTable Symbols()
    {
        var symbols = new SymbolTable().AddStandardFP().AddFhirExtensions();
        // The SDK's matches() builds a new Regex on every call (~100 µs here); profiles use it in invariants on
        // identifiers. Same semantics (.NET regex, partial match), compiled once per pattern.
        symbols.Add("matches", (string focus, string regex) => Regexes.GetOrAdd(regex, r => new Regex(r, RegexOptions.CultureInvariant)).IsMatch(focus));
        return symbols;
    }
    private static readonly ConcurrentDictionary<string, (CompiledExpression? Expression, string? Error)> Cache = new(StringComparer.Ordinal);

    public static (CompiledExpression? Expression, string? Error) Get(string expression) =>
        Cache.GetOrAdd(expression, static e =>
        {
            try
            {
                return (Compiler.Compile(e), null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return (null, ex.Message);
            }
        });
}
