using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>
/// PDSm wants authors contained in the DocumentReference and the SubmissionSet: the shared record cannot resolve the
/// gateway's own references. Copies the authors that could be read (with their profiles but no version: a contained resource
/// carries no versionId or lastUpdated, dom-4) and points the references between them (PractitionerRole → Practitioner,
/// Organization) at the copies. A reference to something not provided keeps only its identifier and display.
/// </summary>
internal sealed class ContainedAuthors
{
    private readonly Dictionary<string, Resource> _byKey;
    private readonly Dictionary<string, string> _containedIds = new(StringComparer.Ordinal);
    private readonly List<Resource> _contained = [];

    public ContainedAuthors(IEnumerable<Resource> authors) =>
        _byKey = authors.Where(a => a.Id is not null).GroupBy(Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public IReadOnlyList<Resource> Contained => _contained;

    /// <summary>A reference to the contained copy of the author <paramref name="reference"/> names, or a logical reference when it was not read.</summary>
    public ResourceReference? Reference(ResourceReference reference) =>
        LocalKey(reference.Reference) is { } key && _byKey.ContainsKey(key) ? new ResourceReference("#" + Contain(key)) { Display = reference.Display }
        : Logical(reference);

    /// <summary>A reference to the contained copy of <paramref name="author"/>.</summary>
    public ResourceReference Reference(Resource author) => new("#" + Contain(Key(author)));

    private string Contain(string key)
    {
        if (_containedIds.TryGetValue(key, out var id)) return id;
        id = "author" + (_containedIds.Count + 1);
        _containedIds[key] = id;
        var copy = (Resource)_byKey[key].DeepCopy();
        copy.Id = id;
        copy.Meta = WithoutVersion(copy.Meta);
        if (copy is DomainResource domain) domain.Text = null;
        _contained.Add(copy);
        if (copy is PractitionerRole role)
        {
            role.Practitioner = role.Practitioner is null ? null : Reference(role.Practitioner);
            role.Organization = role.Organization is null ? null : Reference(role.Organization);
            role.Location.Clear();
            role.HealthcareService.Clear();
            role.Endpoint.Clear();
        }
        else if (copy is Organization organization)
        {
            organization.PartOf = organization.PartOf is null ? null : Reference(organization.PartOf);
            organization.Endpoint.Clear();
        }
        return id;
    }

    /// <summary>
    /// The profiles a copy claims, and nothing of its stored version: a contained resource has no versionId or
    /// lastUpdated (dom-4). Null when no profile is claimed.
    /// </summary>
    public static Meta? WithoutVersion(Meta? meta) =>
        meta?.Profile.OfType<string>().ToList() is { Count: > 0 } profiles ? new Meta { Profile = profiles } : null;

    /// <summary>Identifier and display only: the shared record resolves those, not our ids.</summary>
    public static ResourceReference? Logical(ResourceReference reference) =>
        reference.Identifier is null && reference.Display is null ? null
        : new ResourceReference { Type = reference.Type, Identifier = (Identifier?)reference.Identifier?.DeepCopy(), Display = reference.Display };

    private static string Key(Resource r) => $"{r.TypeName}/{r.Id}";

    /// <summary>"Type/id" of a relative or absolute literal reference, without its _history part.</summary>
    public static string? LocalKey(string? reference)
    {
        if (reference is null || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal)) return null;
        var parts = reference.Split('/');
        var history = Array.IndexOf(parts, "_history");
        var end = history >= 2 ? history : parts.Length;
        return end >= 2 ? $"{parts[end - 2]}/{parts[end - 1]}" : null;
    }
}
