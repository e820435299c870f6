using System.Globalization;
using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Interactions;

/// <summary>Page sizes for history and search (configuration section <c>Fhir:Paging</c>).</summary>
public sealed class PagingOptions
{
    public int DefaultPageSize { get; set; } = 50;

    public int MaxPageSize { get; set; } = 1000;

    /// <summary>The page size to use for a <c>_count</c> value: the default when absent, capped at the maximum.</summary>
    public int PageSize(string? count)
    {
        if (count is null)
        {
            return DefaultPageSize;
        }

        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "_count must be a non-negative integer.", "_count");
        }

        return Math.Clamp(n, 1, MaxPageSize);
    }
}
