using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Storage.Postgres.Search;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// A <see cref="SearchRestriction"/> (issue 8's patient scope, confidentiality labels) against the real
/// PostgreSQL: no resource outside it comes back through matches, _include, _revinclude (:iterate, *),
/// compartment search, $everything's system search, chains, _has or totals. Each test first runs the same query
/// unrestricted and asserts the hidden resource is there, so the restricted assertion can fail.
/// </summary>
[Collection(PostgresCollection.Name)]
public class SearchRestrictionTests(PostgresFixture fixture)
{
    private const string TagSystem = "http://test.example.org/tag";
    private const string Confidentiality = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatusVisibiliteDocument/FHIR/TRE-A07-StatusVisibiliteDocument";
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SearchQueryParser Parser = new(Catalog);
    private readonly Writer _writer = new(fixture.Store);
    private readonly PostgresSearchStore _search = new(fixture.DataSource, Catalog);
    private readonly string _tag = Writer.UniqueId("tag");

    /// <summary>Patient A (the caller's), patient B, a practitioner, and observations linking them.</summary>
    private sealed record World(string A, string B, string Practitioner, string ObsOfA, string ObsOfBAboutA, string ObsOfBByPractitioner, string HiddenObsOfA);

    private async Task<World> WorldAsync()
    {
        var a = await PutAsync(new Patient { Active = true });
        var b = await PutAsync(new Patient { Active = true });
        var practitioner = await PutAsync(new Practitioner { Active = true });
        // In A's compartment (subject), but its focus is B: _include=Observation:focus reaches B.
        var obsOfA = await PutAsync(Observation(a, focus: "Patient/" + b, code: "obs-a"));
        // Refers to A through focus, which is not a Patient-compartment parameter: outside A's compartment.
        var obsOfBAboutA = await PutAsync(Observation(b, focus: "Patient/" + a, code: "obs-b"));
        var obsOfBByPractitioner = await PutAsync(Observation(b, performer: "Practitioner/" + practitioner, code: "secret-code"));
        var hidden = Observation(a, code: "obs-hidden");
        hidden.Meta = new Meta { Security = [new Coding(Confidentiality, "MASQUE_PS")] };
        var hiddenObsOfA = await PutAsync(hidden);
        return new World(a, b, practitioner, obsOfA, obsOfBAboutA, obsOfBByPractitioner, hiddenObsOfA);
    }

    private static Observation Observation(string subject, string code, string? focus = null, string? performer = null) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://test.example.org/code", code),
        Subject = new ResourceReference("Patient/" + subject),
        Focus = focus is null ? [] : [new ResourceReference(focus)],
        Performer = performer is null ? [] : [new ResourceReference(performer)],
    };

    private async Task<string> PutAsync(Resource resource)
    {
        var id = Writer.UniqueId(resource.TypeName.ToLowerInvariant());
        resource.Meta ??= new Meta();
        resource.Meta.Tag.Add(new Coding(TagSystem, _tag));
        await _writer.PutAsync(resource, id);
        return id;
    }

    private SearchQuery Query(string type, string query) =>
        Parser.Parse(type, Pairs(query).Append(KeyValuePair.Create("_tag", $"{TagSystem}|{_tag}")), strict: true);

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string query) =>
        query.Length == 0 ? [] : query.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));

    private Task<SearchPage> PageAsync(SearchQuery query, SearchRestriction? restriction, int count = 100, TotalMode total = TotalMode.Default) =>
        _search.SearchAsync(query with { Restriction = restriction }, new SearchPaging(count, null, total, 100), CancellationToken.None);

    private static List<string> Ids(IEnumerable<Core.Storage.StoredResource> resources) => resources.Select(r => r.Id).ToList();

    [Fact]
    public async Task GivenPatientCompartmentRestriction_WhenSearchingMatches_ThenOnlyThatPatientsResourcesAndCountsAgree()
    {
        var w = await WorldAsync();
        var onlyA = SearchRestriction.Compartment("Patient", w.A);
        var observations = Query("Observation", "");

        Assert.Equal([w.ObsOfA, w.ObsOfBAboutA, w.ObsOfBByPractitioner, w.HiddenObsOfA], Ids((await PageAsync(observations, null)).Matches));
        Assert.Equal([w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(observations, onlyA)).Matches));
        Assert.Equal([w.A], Ids((await PageAsync(Query("Patient", ""), onlyA)).Matches));
        Assert.Empty((await PageAsync(Query("Practitioner", ""), onlyA)).Matches);
        Assert.Equal([w.Practitioner], Ids((await PageAsync(Query("Practitioner", ""), SearchRestriction.Compartment("Patient", w.A, otherTypesAllowed: true))).Matches));

        // _total=accurate and _summary=count (a page of 0) count only what the caller may see.
        Assert.Equal(4, (await PageAsync(observations, null, count: 0, total: TotalMode.Accurate)).Total);
        Assert.Equal(2, (await PageAsync(observations, onlyA, count: 0, total: TotalMode.Accurate)).Total);
        Assert.Equal(2, (await PageAsync(observations, onlyA, count: 1, total: TotalMode.Accurate)).Total);
        Assert.Equal(0, (await PageAsync(Query("Practitioner", ""), onlyA, count: 0, total: TotalMode.Accurate)).Total);
    }

    [Fact]
    public async Task GivenPatientCompartmentRestriction_WhenIncluding_ThenIncludedResourcesOutsideItNeverComeBack()
    {
        var w = await WorldAsync();
        var onlyA = SearchRestriction.Compartment("Patient", w.A);

        var include = Query("Observation", $"_id={w.ObsOfA}&_include=Observation:focus");
        Assert.Equal([w.B], Ids((await PageAsync(include, null)).Included));
        Assert.Empty((await PageAsync(include, onlyA)).Included);

        var star = Query("Observation", $"_id={w.ObsOfA}&_include=Observation:*");
        Assert.Equal([w.A, w.B], Ids((await PageAsync(star, null)).Included));
        Assert.Equal([w.A], Ids((await PageAsync(star, onlyA)).Included));

        var revinclude = Query("Patient", $"_id={w.A}&_revinclude=Observation:focus");
        Assert.Equal([w.ObsOfBAboutA], Ids((await PageAsync(revinclude, null)).Included));
        Assert.Empty((await PageAsync(revinclude, onlyA)).Included);

        var revStar = Query("Patient", $"_id={w.A}&_revinclude=*");
        Assert.Contains(w.ObsOfBAboutA, Ids((await PageAsync(revStar, null)).Included));
        Assert.Equal([w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(revStar, onlyA)).Included));

        // From A to its observations, then iterating to their focus (B) and B's own observations.
        var iterate = Query("Patient", $"_id={w.A}&_revinclude=Observation:subject&_include:iterate=Observation:focus&_revinclude:iterate=Observation:subject");
        var unrestricted = Ids((await PageAsync(iterate, null)).Included);
        Assert.Contains(w.B, unrestricted);
        Assert.Contains(w.ObsOfBByPractitioner, unrestricted);
        Assert.Equal([w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(iterate, onlyA)).Included));
    }

    [Fact]
    public async Task GivenPatientCompartmentRestriction_WhenSearchingCompartmentsAndEverything_ThenAnotherPatientsDataIsEmpty()
    {
        var w = await WorldAsync();
        var onlyA = SearchRestriction.Compartment("Patient", w.A);

        var ofB = Query("Observation", "");
        ofB = ofB with { Criteria = [.. ofB.Criteria, new CompartmentCriterion("Patient", w.B)] };
        Assert.Equal([w.ObsOfBAboutA, w.ObsOfBByPractitioner], Ids((await PageAsync(ofB, null)).Matches));
        Assert.Empty((await PageAsync(ofB, onlyA)).Matches);

        // $everything is a system search over the compartment's types plus the compartment criterion.
        var everything = Parser.ParseSystem([KeyValuePair.Create("_type", string.Join(',', CompartmentDefinitions.Patient.Keys.Where(t => t != "AuditEvent"))), KeyValuePair.Create("_tag", $"{TagSystem}|{_tag}")], strict: true);
        var everythingOfB = everything with { Criteria = [.. everything.Criteria, new CompartmentCriterion("Patient", w.B)] };
        Assert.Equal([w.B, w.ObsOfBAboutA, w.ObsOfBByPractitioner], Ids((await PageAsync(everythingOfB, null)).Matches));
        Assert.Empty((await PageAsync(everythingOfB, onlyA)).Matches);
        Assert.Equal(0, (await PageAsync(everythingOfB, onlyA, count: 0, total: TotalMode.Accurate)).Total);

        var everythingOfA = everything with { Criteria = [.. everything.Criteria, new CompartmentCriterion("Patient", w.A)] };
        var ofA = await PageAsync(everythingOfA with { RevIncludes = [new IncludeSpec("Observation", "focus", null, Iterate: false)] }, onlyA);
        Assert.Equal([w.A, w.ObsOfA, w.HiddenObsOfA], Ids(ofA.Matches));
        Assert.Empty(ofA.Included);

        var system = Parser.ParseSystem([KeyValuePair.Create("_type", "Patient,Practitioner,Observation"), KeyValuePair.Create("_tag", $"{TagSystem}|{_tag}")], strict: true);
        Assert.Equal([w.A, w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(system, onlyA)).Matches));
        Assert.Equal([w.A, w.Practitioner, w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(system, SearchRestriction.Compartment("Patient", w.A, otherTypesAllowed: true))).Matches));
    }

    [Fact]
    public async Task GivenRestriction_WhenChainingOrReverseChaining_ThenHiddenResourcesDecideNothing()
    {
        var w = await WorldAsync();
        var onlyAPlusDirectory = SearchRestriction.Compartment("Patient", w.A, otherTypesAllowed: true);

        // The practitioner may be seen, but that it performed an observation of B may not.
        var has = Query("Practitioner", "_has:Observation:performer:code=secret-code");
        Assert.Equal([w.Practitioner], Ids((await PageAsync(has, null)).Matches));
        Assert.Empty((await PageAsync(has, onlyAPlusDirectory)).Matches);

        var chain = Query("Observation", $"subject:Patient._id={w.B}");
        Assert.Equal([w.ObsOfBAboutA, w.ObsOfBByPractitioner], Ids((await PageAsync(chain, null)).Matches));
        Assert.Empty((await PageAsync(chain, SearchRestriction.AllTypes.And(new IdCriterion([w.A, w.ObsOfBAboutA])))).Matches);
    }

    [Fact]
    public async Task GivenSecurityLabelRestriction_WhenSearchingIncludingAndCounting_ThenLabelledResourcesAreHidden()
    {
        var w = await WorldAsync();
        var notMasked = SearchRestriction.AllTypes.WithoutSecurityLabel(Confidentiality, "MASQUE_PS");
        var both = SearchRestriction.Compartment("Patient", w.A).WithoutSecurityLabel(Confidentiality, "MASQUE_PS");

        var ofA = Query("Observation", $"subject=Patient/{w.A}");
        Assert.Equal([w.ObsOfA, w.HiddenObsOfA], Ids((await PageAsync(ofA, null)).Matches));
        Assert.Equal([w.ObsOfA], Ids((await PageAsync(ofA, notMasked)).Matches));
        Assert.Equal(1, (await PageAsync(ofA, notMasked, count: 0, total: TotalMode.Accurate)).Total);

        var rev = Query("Patient", $"_id={w.A}&_revinclude=Observation:subject&_revinclude=Observation:focus");
        Assert.Equal([w.ObsOfA, w.HiddenObsOfA, w.ObsOfBAboutA], Ids((await PageAsync(rev, null)).Included));
        Assert.Equal([w.ObsOfA, w.ObsOfBAboutA], Ids((await PageAsync(rev, notMasked)).Included));
        Assert.Equal([w.ObsOfA], Ids((await PageAsync(rev, both)).Included));
    }
}
