namespace FhirCoordGateway.Validation.Compilation;

/// <summary>
/// Fixes for invariants published wrong in R4 4.0.1, keyed by (key, published expression). HL7's Java validator
/// (FHIRPathExpressionFixer) and Firely (StructureDefinitionCorrectionsResolver) patch the same ones. Applied at
/// compile time, so every snapshot copy of the constraint gets the fix (Firely #366 missed the copies).
/// </summary>
internal static class ConstraintCorrections
{
    private static readonly Dictionary<(string Key, string Expression), string> Table = new()
    {
        // ref-1 as published ignores the "#" self-reference to the container that R4 allows in contained resources.
        [("ref-1", "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))")] =
            "reference.exists() implies (reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id) or (reference = '#' and %rootResource != %resource))",
    };

    public static string Correct(string key, string expression) =>
        Table.TryGetValue((key, expression), out var fixedExpression) ? fixedExpression : expression;
}
