using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery.SharedRecord;

/// <summary>Readable names for the references of a PPS: from the resources provided, else the reference's display.</summary>
internal sealed class ReferenceNames
{
    private const string Unknown = "(non renseigné)";
    private readonly Dictionary<string, Resource> _resources;

    public ReferenceNames(PpsRenderRequest request)
    {
        _resources = request.Related.Append(request.Patient).Where(r => r.Id is not null)
            .GroupBy(r => $"{r.TypeName}/{r.Id}", StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        Patient = Name(request.Patient);
    }

    public string Patient { get; }

    public T? Find<T>(ResourceReference? reference) where T : Resource =>
        ContainedAuthors.LocalKey(reference?.Reference) is { } key && _resources.TryGetValue(key, out var r) ? r as T : null;

    public string Of(ResourceReference? reference)
    {
        if (reference is null) return Unknown;
        var resource = Find<Resource>(reference);
        return resource is null ? reference.Display ?? Unknown : Name(resource, reference.Display);
    }

    private string Name(Resource resource, string? fallback = null) => resource switch
    {
        Patient p => Person(p.Name) ?? fallback ?? Unknown,
        Practitioner p => Person(p.Name) ?? fallback ?? Unknown,
        RelatedPerson p => Person(p.Name) is { } n ? n + Relationship(p) : fallback ?? Unknown,
        Organization o => o.Name ?? fallback ?? Unknown,
        PractitionerRole role => Role(role, fallback),
        CareTeam team => team.Name ?? fallback ?? Unknown,
        _ => fallback ?? Unknown,
    };

    /// <summary>"Dr Claire BERNARD (Cabinet médical des Tilleuls)".</summary>
    private string Role(PractitionerRole role, string? fallback)
    {
        var person = role.Practitioner is null ? null : Of(role.Practitioner);
        var place = role.Organization is null ? null : Of(role.Organization);
        var who = person is null or Unknown ? fallback ?? role.Practitioner?.Display ?? Unknown : person;
        return place is null or Unknown ? who : $"{who} ({place})";
    }

    private static string Relationship(RelatedPerson person) =>
        person.Relationship.FirstOrDefault() is { } r && (r.Text ?? r.Coding.FirstOrDefault()?.Display) is { } text ? $", {text}" : "";

    /// <summary>The official name when there is one: prefixes, given names, family name.</summary>
    private static string? Person(List<HumanName> names)
    {
        var name = names.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        if (name is null) return null;
        var text = name.Text ?? string.Join(" ", name.Prefix.Concat(name.Given).Append(name.Family).Where(s => !string.IsNullOrWhiteSpace(s)));
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }
}
