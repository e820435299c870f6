using System.Globalization;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Export;

/// <summary>
/// The kick-off parameters the gateway supports: <c>_type</c> (comma-separated, repeatable), <c>_since</c> (an
/// instant) and <c>_outputFormat</c> (ndjson only). The other Bulk Data parameters are refused with 400
/// <c>not-supported</c>, or ignored under <c>Prefer: handling=lenient</c>, as the spec asks.
/// https://hl7.org/fhir/uv/bulkdata/export.html#query-parameters
/// </summary>
public sealed record ExportParameters(IReadOnlyList<string> Types, DateTimeOffset? Since)
{
    /// <summary>application/fhir+ndjson and the aliases the spec tells servers to accept.</summary>
    public static readonly IReadOnlySet<string> OutputFormats = new HashSet<string>(StringComparer.Ordinal)
    {
        "application/fhir+ndjson", "application/ndjson", "ndjson",
    };

    private static readonly IReadOnlySet<string> Unsupported = new HashSet<string>(StringComparer.Ordinal)
    {
        "_typeFilter", "_elements", "patient", "includeAssociatedData", "organizeOutputBy", "allowPartialManifests",
    };

    public static ExportParameters Parse(IEnumerable<KeyValuePair<string, string>> query, bool lenient)
    {
        var types = new List<string>();
        DateTimeOffset? since = null;
        foreach (var (name, value) in query)
        {
            switch (name)
            {
                case "_type":
                    foreach (var type in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!ResourceTypes.All.Contains(type))
                        {
                            throw FhirOutcomeException.Of(FailureKind.Invalid, $"_type names '{type}', which is no FHIR R4 resource type.", "_type");
                        }

                        if (!types.Contains(type))
                        {
                            types.Add(type);
                        }
                    }

                    break;
                case "_since":
                    since = Instant(value);
                    break;
                case "_outputFormat" when !OutputFormats.Contains(value):
                    throw FhirOutcomeException.Of(FailureKind.Invalid, "_outputFormat must be application/fhir+ndjson (or application/ndjson, ndjson).", "_outputFormat");
                case var _ when Unsupported.Contains(name) && !lenient:
                    throw new FhirOutcomeException(FailureKind.Invalid, Outcomes.Outcomes.Error(
                        OperationOutcome.IssueType.NotSupported, $"The export parameter {name} is not supported (send 'Prefer: handling=lenient' to have it ignored).", name));
            }
        }

        return new ExportParameters(types, since);
    }

    /// <summary>A FHIR instant (date, time to the second and a zone).</summary>
    private static DateTimeOffset Instant(string text)
    {
        // An unencoded '+' of the zone arrives as a space in a query string.
        var value = text.Trim().Replace(' ', '+');
        if (value.Length < 20 || value[10] != 'T' || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            || !(value.EndsWith('Z') || value[^6] is '+' or '-'))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "_since must be a FHIR instant such as 2026-11-22T10:00:00Z.", "_since");
        }

        return instant;
    }
}
