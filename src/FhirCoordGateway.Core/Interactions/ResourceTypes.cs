using System.Collections.Frozen;
using System.Text.RegularExpressions;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>Which resource types the server serves, and the shape of a logical id.</summary>
public static partial class ResourceTypes
{
    /// <summary>Every concrete R4 resource type: all are storable (generic storage, not a table per type).</summary>
    public static readonly FrozenSet<string> All = ModelInfo.SupportedResources
        .Where(t => ModelInfo.GetTypeForFhirType(t) is { IsAbstract: false })
        .Order(StringComparer.Ordinal)
        .ToFrozenSet(StringComparer.Ordinal);

    public static void EnsureSupported(string resourceType)
    {
        if (!All.Contains(resourceType))
        {
            throw FhirOutcomeException.Of(FailureKind.NotFound, $"Resource type '{resourceType}' is not supported.");
        }
    }

    /// <summary>FHIR id: 1 to 64 of [A-Za-z0-9\-\.]. https://hl7.org/fhir/R4/datatypes.html#id</summary>
    public static void EnsureValidId(string id, string expression = "id")
    {
        if (!IdPattern().IsMatch(id))
        {
            throw FhirOutcomeException.Of(
                FailureKind.Invalid, "A resource id is 1 to 64 letters, digits, '-' or '.'.", expression);
        }
    }

    // \z, not $: in .NET "$" also matches before a final "\n", which would let "abc\n" through.
    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}\\z")]
    private static partial Regex IdPattern();
}
