using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;

namespace FhirCoordGateway.Core.Export;

/// <summary>
/// Which types an export writes, and which asked-for types it skips and why (the manifest's error file says so).
/// A type is exported when the level holds it (Patient and Group levels: the Patient compartment's types) and
/// the token grants read and search on it (<c>.rs</c>, or v1 <c>.read</c>), as for a search. ADR 0015.
/// </summary>
public sealed record ExportPlan(IReadOnlyList<string> Types, IReadOnlyList<ExportPlan.Skip> Skipped)
{
    /// <param name="Refused">True when the token does not grant the type (rather than the level not holding it).</param>
    public sealed record Skip(string ResourceType, bool Refused, string Reason);

    /// <param name="access">The requester's access; null when security is off.</param>
    public static ExportPlan For(ExportRequest request, RequestAccess? access)
    {
        var levelTypes = LevelTypes(request.Level);
        var explicitTypes = request.Types.Count > 0;
        var types = new List<string>();
        var skipped = new List<Skip>();
        foreach (var type in explicitTypes ? request.Types : [.. levelTypes.Order(StringComparer.Ordinal)])
        {
            if (type == AuditTrail.ResourceType)
            {
                // The audit trail is not exported (ADR 0016): auditors search it.
                if (explicitTypes)
                {
                    skipped.Add(new Skip(type, false, "AuditEvents are not exported: auditors search them (AuditEvent?date=...)."));
                }
            }
            else if (!levelTypes.Contains(type))
            {
                skipped.Add(new Skip(type, false, $"{type} is never in a Patient compartment: a {request.Level}-level export does not hold it."));
            }
            else if (access is not null && Level(access, type) == AccessLevel.Denied)
            {
                // Without _type the export is narrowed silently to what the token may read, as a system search is.
                if (explicitTypes)
                {
                    skipped.Add(new Skip(type, true, $"The access token does not grant read and search ('rs') on {type}: {type} was not exported."));
                }
            }
            else
            {
                types.Add(type);
            }
        }

        return new ExportPlan(types, skipped);
    }

    /// <summary>How far the token reaches <paramref name="type"/> for an export: the lesser of its read and search levels.</summary>
    public static AccessLevel Level(RequestAccess access, string type) =>
        (AccessLevel)Math.Min((int)access.Level(type, ScopePermissions.Read), (int)access.Level(type, ScopePermissions.Search));

    /// <summary>Every type for a system export; the Patient compartment's (Patient included) for the others.</summary>
    public static IReadOnlyCollection<string> LevelTypes(ExportLevel level) =>
        level == ExportLevel.System ? ResourceTypes.All : PatientCompartmentTypes;

    private static readonly IReadOnlyCollection<string> PatientCompartmentTypes =
        System.Collections.Frozen.FrozenSet.ToFrozenSet(CompartmentDefinitions.Patient.Keys.Append("Patient"), StringComparer.Ordinal);
}
