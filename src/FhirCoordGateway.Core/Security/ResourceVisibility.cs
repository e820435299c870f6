using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Search.Parameters;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Security;

/// <summary>
/// Whether the caller may see one stored version: its type must be granted, a <c>patient/</c> grant confines it
/// to the launch patient's compartment, and the French visibility labels hide documents by role (ADR 0012).
/// </summary>
public sealed class ResourceVisibility(SearchIndexer indexer)
{
    /// <summary>The ANS code system of document visibility (TRE_A07), as in profiles/ValueSet-fhircoord-confidentiality.json.</summary>
    public const string VisibilitySystem = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";
    public const string HiddenFromProfessionals = "MASQUE_PS";
    public const string HiddenFromPatient = "INVISIBLE_PATIENT";
    public const string HiddenFromLegalRepresentatives = "INVISIBLE_REPRESENTANTS_LEGAUX";

    /// <summary>The labels that hide a resource from <paramref name="role"/>.</summary>
    public static IReadOnlyList<string> HiddenLabels(CallerRole role) => role switch
    {
        CallerRole.Professional => [HiddenFromProfessionals],
        CallerRole.Patient => [HiddenFromPatient],
        // A legal representative acts for the patient: what is hidden from the patient is hidden from them too.
        CallerRole.LegalRepresentative => [HiddenFromLegalRepresentatives, HiddenFromPatient],
        _ => [],
    };

    /// <param name="permission">The permission the caller needs on the type; <see cref="ScopePermissions.None"/> for any.</param>
    /// <param name="compartmentChecked">True when the store already confined the resource to the caller's compartment (a restricted search).</param>
    public bool CanSee(RequestAccess access, StoredResource stored, ScopePermissions permission = ScopePermissions.Read, bool compartmentChecked = false)
    {
        var level = access.Level(stored.ResourceType, permission);
        if (level == AccessLevel.Denied)
        {
            return false;
        }

        if (stored.Json is null)
        {
            // A tombstone says nothing of the compartment it was in.
            return level == AccessLevel.Full;
        }

        var hidden = HiddenLabels(access.Role);
        var mayBeLabelled = hidden.Any(label => stored.Json.Contains(label, StringComparison.Ordinal));
        var confined = level == AccessLevel.Full || compartmentChecked;
        if (confined && !mayBeLabelled)
        {
            return true;
        }

        var resource = ResourceJson.Parse(stored.Json);
        return (confined || InCompartment(resource, access.Patient!)) && !(mayBeLabelled && Hides(access, resource, hidden));
    }

    /// <summary>As <see cref="CanSee(RequestAccess, StoredResource, ScopePermissions, bool)"/> for a resource already parsed (read permission).</summary>
    public bool CanSee(RequestAccess access, Resource resource)
    {
        var level = access.Level(resource.TypeName, ScopePermissions.Read);
        return level != AccessLevel.Denied
            && (level == AccessLevel.Full || InCompartment(resource, access.Patient!))
            && !Hides(access, resource, HiddenLabels(access.Role));
    }

    /// <summary>
    /// A label of <paramref name="hidden"/> is on the resource and no exception lifts it: the DMP lets the author of a
    /// document masked from professionals (<c>MASQUE_PS</c>) still see it, the author being the token's <c>fhirUser</c>.
    /// </summary>
    private static bool Hides(RequestAccess access, Resource resource, IReadOnlyList<string> hidden) =>
        HasLabel(resource, hidden) && !(access.Role == CallerRole.Professional && IsAuthor(resource, access.FhirUserReference));

    /// <summary>A DocumentReference with <paramref name="user"/> among its authors, compared as the search index compares references.</summary>
    public static bool IsAuthor(Resource resource, ReferenceIndexEntry? user) =>
        user is not null && resource is DocumentReference document
        && document.Author.Any(a => a.Reference is { Length: > 0 } author && ReferenceSearchParameter.Parse(author) == user);

    /// <summary>
    /// What the caller may see of the results of a search restricted by <see cref="SearchAccess"/> (so already in
    /// the caller's compartment), each kept one recorded for the request's AuditEvent.
    /// </summary>
    public IReadOnlyList<StoredResource> Filter(RequestSecurity security, IReadOnlyList<StoredResource> found)
    {
        var visible = found.Where(m => CanSee(security.Access, m, compartmentChecked: true)).ToList();
        foreach (var seen in visible)
        {
            security.Touched($"{seen.ResourceType}/{seen.Id}");
        }

        return visible;
    }

    /// <summary>The patient itself, or a resource referring to it through one of its type's Patient-compartment parameters.</summary>
    public bool InCompartment(Resource resource, string patientId)
    {
        if (resource is Patient)
        {
            return resource.Id == patientId;
        }

        var parameters = CompartmentDefinitions.Patient.GetValueOrDefault(resource.TypeName);
        return parameters is not null && indexer.ExtractAlways(resource).References.Any(r =>
            r.TargetType == "Patient" && r.TargetId == patientId && parameters.Contains(r.Parameter));
    }

    /// <summary>A TRE_A07 code among <paramref name="labels"/> in meta.security or DocumentReference.securityLabel.</summary>
    public static bool HasLabel(Resource resource, IReadOnlyList<string> labels)
    {
        var codings = resource.Meta?.Security ?? [];
        if (resource is DocumentReference document)
        {
            codings = [.. codings, .. document.SecurityLabel.SelectMany(c => c.Coding)];
        }

        return codings.Any(c => c.System == VisibilitySystem && labels.Contains(c.Code));
    }
}
