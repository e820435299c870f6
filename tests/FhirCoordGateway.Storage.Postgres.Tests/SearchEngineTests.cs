using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Search;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// The search engine against the real PostgreSQL: every parameter type with its modifiers and prefixes, chains,
/// _has, composites, sorting, keyset paging, totals and includes. Each test tags its resources with a unique
/// <c>_tag</c> and adds it to every query, so result sets are exact while tests run in parallel.
/// https://hl7.org/fhir/R4/search.html
/// </summary>
[Collection(PostgresCollection.Name)]
public class SearchEngineTests(PostgresFixture fixture)
{
    private const string TagSystem = "http://test.example.org/tag";
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SearchQueryParser Parser = new(Catalog);
    private readonly Writer _writer = new(fixture.Store);
    private readonly PostgresSearchStore _search = new(fixture.DataSource, Catalog);
    private readonly string _tag = Writer.UniqueId("tag");

    private T Tagged<T>(T resource)
        where T : Resource
    {
        resource.Meta ??= new Meta();
        resource.Meta.Tag.Add(new Coding(TagSystem, _tag));
        return resource;
    }

    private async Task<string> PutAsync(Resource resource, string? id = null)
    {
        id ??= Writer.UniqueId(resource.TypeName.ToLowerInvariant());
        await _writer.PutAsync(Tagged(resource), id);
        return id;
    }

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string query) =>
        query.Length == 0 ? [] : query.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));

    private SearchQuery Query(string type, string query) =>
        Parser.Parse(type, Pairs(query).Append(KeyValuePair.Create("_tag", $"{TagSystem}|{_tag}")), strict: true);

    private async Task<SearchPage> PageAsync(string type, string query, int count = 100, PageCursor? after = null, TotalMode total = TotalMode.Default, int maxIncludes = 100) =>
        await _search.SearchAsync(Query(type, query), new SearchPaging(count, after, total, maxIncludes), CancellationToken.None);

    private async Task<List<string>> IdsAsync(string type, string query) =>
        (await PageAsync(type, query)).Matches.Select(m => m.Id).ToList();

    [Fact]
    public async Task GivenNames_WhenSearchingStrings_ThenStartsWithIgnoresCaseAndAccentsExactAndContainsToo()
    {
        var dupont = await PutAsync(new Patient { Name = [new HumanName { Family = "Dupont-Éléonore", Given = ["Gaëlle"] }] });
        var durand = await PutAsync(new Patient { Name = [new HumanName { Family = "Durand", Given = ["Œdipe"] }] });

        Assert.Equal([dupont, durand], await IdsAsync("Patient", "family=du"));
        Assert.Equal([dupont], await IdsAsync("Patient", "family=DUPONT-ele"));
        Assert.Equal([dupont], await IdsAsync("Patient", "given=gaelle"));
        Assert.Equal([durand], await IdsAsync("Patient", "name=oedipe"));
        Assert.Empty(await IdsAsync("Patient", "family=pont"));
        Assert.Equal([dupont], await IdsAsync("Patient", "family:contains=ELEO"));
        Assert.Equal([durand], await IdsAsync("Patient", "family:exact=Durand"));
        Assert.Empty(await IdsAsync("Patient", "family:exact=durand"));
        Assert.Equal([dupont, durand], await IdsAsync("Patient", "family=dupont,durand"));
        Assert.Empty(await IdsAsync("Patient", "family=dupont&family=durand"));
    }

    [Fact]
    public async Task GivenCodes_WhenSearchingTokens_ThenEveryFormAndModifier()
    {
        var male = await PutAsync(new Patient { Gender = AdministrativeGender.Male });
        var glucose = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "2345-7", "Glucose [Mass/volume] in Serum") });
        var female = await PutAsync(new Patient { Gender = AdministrativeGender.Female });
        var none = await PutAsync(new Patient { Active = true });

        Assert.Equal([male], await IdsAsync("Patient", "gender=male"));
        Assert.Equal([male], await IdsAsync("Patient", "gender=http://hl7.org/fhir/administrative-gender|male"));
        Assert.Empty(await IdsAsync("Patient", "gender=|male"));
        Assert.Equal([male, female], await IdsAsync("Patient", "gender=http://hl7.org/fhir/administrative-gender|"));
        Assert.Equal([female, none], await IdsAsync("Patient", "gender:not=male"));
        Assert.Equal([none], await IdsAsync("Patient", "gender:missing=true"));
        Assert.Equal([male, female], await IdsAsync("Patient", "gender:missing=false"));
        Assert.Equal([glucose], await IdsAsync("Observation", "code:text=mass/VOLUME"));
        Assert.Equal([glucose], await IdsAsync("Observation", "code:not=http://loinc.org|8867-4"));
        Assert.Equal([none], await IdsAsync("Patient", "active=true"));
    }

    [Fact]
    public async Task GivenTypedIdentifier_WhenSearchingOfType_ThenOnlyThatType()
    {
        var value = Writer.UniqueId("ins");
        var typed = new Identifier("urn:oid:1.2.250.1.213.1.4.8", value) { Type = new CodeableConcept("http://interopsante.org/fhir/CodeSystem/fr-v2-0203", "INS-NIR") };
        var withType = await PutAsync(new Patient { Identifier = [typed] });
        await PutAsync(new Patient { Identifier = [new Identifier("urn:oid:1.2.250.1.213.1.4.8", value)] });

        Assert.Equal([withType], await IdsAsync("Patient", $"identifier:of-type=http://interopsante.org/fhir/CodeSystem/fr-v2-0203|INS-NIR|{value}"));
        Assert.Throws<Core.Outcomes.FhirOutcomeException>(() => Query("Patient", "identifier:of-type=INS-NIR"));
    }

    [Theory]
    [InlineData("2024-03", true)]
    [InlineData("2024", true)]
    [InlineData("2024-03-15", true)]
    [InlineData("eq2024-03-16", false)]
    [InlineData("ne2024-03-15", false)]
    [InlineData("ne2024-03-16", true)]
    [InlineData("gt2024-03-14", true)]
    [InlineData("gt2024-03-15", false)]
    [InlineData("lt2024-03-15", false)]
    [InlineData("lt2024-03-16", true)]
    [InlineData("ge2024-03-15", true)]
    [InlineData("ge2024-03-16", false)]
    [InlineData("le2024-03-15", true)]
    [InlineData("le2024-03-14", false)]
    [InlineData("sa2024-03-14", true)]
    [InlineData("sa2024-03-15", false)]
    [InlineData("eb2024-03-16", true)]
    [InlineData("eb2024-03-15", false)]
    [InlineData("ap2024-03-15", true)]
    [InlineData("2024-03-15T10:00", false)]
    public async Task GivenBirthDate_WhenSearchingWithPrefixAndPrecision_ThenTheSpecRangesApply(string value, bool matches)
    {
        var id = await PutAsync(new Patient { BirthDate = "2024-03-15" });

        Assert.Equal(matches ? [id] : [], await IdsAsync("Patient", "birthdate=" + value));
    }

    [Fact]
    public async Task GivenPeriods_WhenSearchingDates_ThenRangesOverlapAndOpenEndsAreInfinite()
    {
        var closed = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/x"), Period = new Period { Start = "2025-01-10", End = "2025-02-20" } });
        var open = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/x"), Period = new Period { Start = "2025-06-01" } });

        Assert.Equal([closed], await IdsAsync("CarePlan", "date=2025"));
        Assert.Empty(await IdsAsync("CarePlan", "date=2025-01")); // eq: the search range must contain the whole period
        Assert.Equal([closed, open], await IdsAsync("CarePlan", "date=ge2025-02-01"));
        Assert.Equal([open], await IdsAsync("CarePlan", "date=sa2025-03-01"));
        Assert.Equal([open], await IdsAsync("CarePlan", "date=gt2030-01-01"));
        Assert.Equal([closed], await IdsAsync("CarePlan", "date=eb2025-03-01"));
    }

    [Fact]
    public async Task GivenResources_WhenSearchingLastUpdated_ThenTheVersionTimeIsUsed()
    {
        var id = await PutAsync(new Patient { Active = true });
        var now = DateTimeOffset.UtcNow;

        Assert.Equal([id], await IdsAsync("Patient", $"_lastUpdated=ge{now.AddMinutes(-5):yyyy-MM-ddTHH:mm:ssZ}"));
        Assert.Empty(await IdsAsync("Patient", $"_lastUpdated=gt{now.AddMinutes(5):yyyy-MM-ddTHH:mm:ssZ}"));
    }

    [Fact]
    public async Task GivenNumbersAndQuantities_WhenSearching_ThenPrecisionPrefixesAndUnitsApply()
    {
        var risk = await PutAsync(new RiskAssessment { Status = ObservationStatus.Final, Subject = new ResourceReference("Patient/x"), Prediction = [new RiskAssessment.PredictionComponent { Probability = new FhirDecimal(0.25m) }] });
        var mg = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "2345-7"), Value = new Quantity(5.4m, "mg", "http://unitsofmeasure.org") });
        var g = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "2345-7"), Value = new Quantity(100m, "g", "http://unitsofmeasure.org") });

        Assert.Equal([risk], await IdsAsync("RiskAssessment", "probability=0.25"));
        Assert.Equal([risk], await IdsAsync("RiskAssessment", "probability=0.3")); // 0.3 covers [0.25, 0.35)
        Assert.Empty(await IdsAsync("RiskAssessment", "probability=0.250001"));
        Assert.Equal([risk], await IdsAsync("RiskAssessment", "probability=gt0.2"));
        Assert.Empty(await IdsAsync("RiskAssessment", "probability=lt0.2"));
        Assert.Equal([risk], await IdsAsync("RiskAssessment", "probability=ap0.26"));

        Assert.Equal([mg], await IdsAsync("Observation", "value-quantity=5.4|http://unitsofmeasure.org|mg"));
        Assert.Equal([mg], await IdsAsync("Observation", "value-quantity=5.4||mg"));
        Assert.Empty(await IdsAsync("Observation", "value-quantity=5.4|http://unitsofmeasure.org|g"));
        Assert.Equal([mg, g], await IdsAsync("Observation", "value-quantity=gt5"));
        Assert.Equal([g], await IdsAsync("Observation", "value-quantity=ge1e2"));
        Assert.Throws<Core.Outcomes.FhirOutcomeException>(() => Query("Observation", "value-quantity=abc"));
    }

    [Fact]
    public async Task GivenUris_WhenSearching_ThenEqualsBelowAndAbove()
    {
        var root = "http://" + _tag + ".example.org/fhir";
        var vs = await PutAsync(new ValueSet { Status = PublicationStatus.Active, Url = root + "/ValueSet/a" });

        Assert.Equal([vs], await IdsAsync("ValueSet", $"url={root}/ValueSet/a"));
        Assert.Empty(await IdsAsync("ValueSet", $"url={root}/ValueSet"));
        Assert.Equal([vs], await IdsAsync("ValueSet", $"url:below={root}/ValueSet"));
        Assert.Equal([vs], await IdsAsync("ValueSet", $"url:above={root}/ValueSet/a/_history/2"));
        Assert.Empty(await IdsAsync("ValueSet", $"url:below={root}/CodeSystem"));
    }

    [Fact]
    public async Task GivenReferences_WhenSearching_ThenEveryFormAndTheTargetCreatedLaterIsResolved()
    {
        var patientId = Writer.UniqueId("pat");
        var plan = await PutAsync(new CarePlan
        {
            Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan,
            Subject = new ResourceReference("Patient/" + patientId),
            CareTeam = [new ResourceReference { Identifier = new Identifier("urn:oid:1.2.250.1.71.4.2.1", "810000000001") }],
        });
        var other = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Group/g1") });
        await PutAsync(new Patient { Identifier = [new Identifier("urn:oid:1.2.250.1.213.1.4.8", patientId)], Name = [new HumanName { Family = "Chain" + patientId }] }, patientId);

        Assert.Equal([plan], await IdsAsync("CarePlan", "subject=Patient/" + patientId));
        Assert.Equal([plan], await IdsAsync("CarePlan", "subject:Patient=" + patientId));
        Assert.Equal([plan], await IdsAsync("CarePlan", "patient=" + patientId));
        Assert.Equal([plan], await IdsAsync("CarePlan", "care-team:identifier=urn:oid:1.2.250.1.71.4.2.1|810000000001"));
        Assert.Equal([other], await IdsAsync("CarePlan", "care-team:missing=true"));
        // The patient was written after the plan: the backfill resolved the reference, so the chain finds it.
        Assert.Equal([plan], await IdsAsync("CarePlan", $"subject:Patient.identifier=urn:oid:1.2.250.1.213.1.4.8|{patientId}"));
        Assert.Equal([plan], await IdsAsync("CarePlan", $"subject:Patient.family=chain{patientId}"));
        Assert.Equal([patientId], await IdsAsync("Patient", "_has:CarePlan:subject:status=active"));
        Assert.Empty(await IdsAsync("Patient", "_has:CarePlan:subject:status=draft"));
    }

    [Fact]
    public async Task GivenTwoLevelChainAndNestedHas_WhenSearching_ThenBothResolve()
    {
        var orgName = "Org" + _tag;
        var org = await PutAsync(new Organization { Name = orgName });
        var patient = await PutAsync(new Patient { ManagingOrganization = new ResourceReference("Organization/" + org) });
        var plan = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patient) });

        Assert.Equal([plan], await IdsAsync("CarePlan", $"subject:Patient.organization.name={orgName}"));
        Assert.Equal([org], await IdsAsync("Organization", "_has:Patient:organization:_has:CarePlan:subject:status=active"));
        Assert.Equal([patient], await IdsAsync("Patient", $"organization.name={orgName}"));
    }

    [Fact]
    public async Task GivenComponents_WhenSearchingComposite_ThenBothHalvesComeFromTheSameElement()
    {
        var bp = await PutAsync(new Observation
        {
            Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "85354-9"),
            Component =
            [
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8480-6"), Value = new Quantity(150m, "mm[Hg]", "http://unitsofmeasure.org") },
                new Observation.ComponentComponent { Code = new CodeableConcept("http://loinc.org", "8462-4"), Value = new Quantity(90m, "mm[Hg]", "http://unitsofmeasure.org") },
            ],
        });

        Assert.Equal([bp], await IdsAsync("Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt140"));
        Assert.Empty(await IdsAsync("Observation", "component-code-value-quantity=http://loinc.org|8462-4$gt140"));
        Assert.Equal([bp], await IdsAsync("Observation", "component-code-value-quantity=8462-4$90"));
    }

    [Fact]
    public async Task GivenSortKeys_WhenSearching_ThenOrderedByEachKeyWithMissingValuesLast()
    {
        var b1 = await PutAsync(new Patient { Name = [new HumanName { Family = "Bravo" }], BirthDate = "1990-01-01" });
        var a = await PutAsync(new Patient { Name = [new HumanName { Family = "Alpha" }], BirthDate = "1980-01-01" });
        var b2 = await PutAsync(new Patient { Name = [new HumanName { Family = "Bravo" }], BirthDate = "2000-01-01" });
        var none = await PutAsync(new Patient { Active = true });

        Assert.Equal([a, b1, b2, none], await IdsAsync("Patient", "_sort=family,birthdate"));
        Assert.Equal([b2, b1, a, none], await IdsAsync("Patient", "_sort=-family,-birthdate"));
        Assert.Equal([b2, b1, a, none], await IdsAsync("Patient", "_sort=-birthdate"));
        Assert.Equal([none, b2, a, b1], await IdsAsync("Patient", "_sort=-_lastUpdated"));
    }

    [Fact]
    public async Task GivenTokensAndReferences_WhenSorting_ThenByCodeThenSystemAndByTargetTypeAndId()
    {
        var male = await PutAsync(new Patient { Gender = AdministrativeGender.Male });
        var female = await PutAsync(new Patient { Gender = AdministrativeGender.Female });
        var none = await PutAsync(new Patient { Active = true });
        Assert.Equal([female, male, none], await IdsAsync("Patient", "_sort=gender"));
        Assert.Equal([male, female, none], await IdsAsync("Patient", "_sort=-gender"));

        // Same code in two systems: the system decides; then paging by one keeps the order (keyset on the sort value).
        var zb = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://b.example.org", "x-1") });
        var za = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://a.example.org", "x-1") });
        var y = await PutAsync(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://c.example.org", "w-9") });
        Assert.Equal([y, za, zb], await IdsAsync("Observation", "_sort=code"));
        Assert.Equal([zb, za, y], await IdsAsync("Observation", "_sort=-code"));
        Assert.Equal([y, za, zb], await AllPagesAsync("Observation", "_sort=code", 1));

        var toB = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/b-" + _tag) });
        var toA = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/a-" + _tag) });
        var toGroup = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Group/z-" + _tag) });
        var noSubject = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan });
        Assert.Equal([toGroup, toA, toB, noSubject], await IdsAsync("CarePlan", "_sort=subject"));
        Assert.Equal([toB, toA, toGroup, noSubject], await IdsAsync("CarePlan", "_sort=-subject,status"));
        Assert.Equal([toB, toA, toGroup, noSubject], await AllPagesAsync("CarePlan", "_sort=-subject", 1));
    }

    private async Task<List<string>> AllPagesAsync(string type, string query, int count)
    {
        var ids = new List<string>();
        PageCursor? cursor = null;
        do
        {
            var page = await PageAsync(type, query, count: count, after: cursor);
            ids.AddRange(page.Matches.Select(m => m.Id));
            cursor = page.Next;
        }
        while (cursor is not null);
        return ids;
    }

    [Theory]
    [InlineData("")]
    [InlineData("_sort=family")]
    [InlineData("_sort=-family,_lastUpdated")]
    public async Task GivenConcurrentInserts_WhenPaging_ThenEveryResourcePresentAtTheStartIsSeenExactlyOnce(string sort)
    {
        var names = new[] { "Kilo", "Echo", "Alpha", "Juliet", "Delta", "Golf", "Bravo", "India", "Hotel", "Charlie", "Foxtrot" };
        var initial = new List<string>();
        foreach (var name in names)
        {
            initial.Add(await PutAsync(new Patient { Name = [new HumanName { Family = name }] }));
        }

        var seen = new List<string>();
        PageCursor? cursor = null;
        var inserted = 0;
        do
        {
            var page = await PageAsync("Patient", sort, count: 3, after: cursor);
            seen.AddRange(page.Matches.Select(m => m.Id));
            cursor = page.Next;
            // Inserts between pages: before, inside and after the pages already read.
            await PutAsync(new Patient { Name = [new HumanName { Family = names[inserted++ % names.Length] + "x" }] });
        }
        while (cursor is not null && seen.Count < 100);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Empty(initial.Except(seen));
    }

    [Fact]
    public async Task GivenMoreMatchesThanAPage_WhenAskingTotals_ThenNoneEstimateAndAccurate()
    {
        for (var i = 0; i < 5; i++)
        {
            await PutAsync(new Patient { Active = true });
        }

        Assert.Equal(5, (await PageAsync("Patient", "", count: 10)).Total);
        Assert.Null((await PageAsync("Patient", "", count: 2)).Total);
        Assert.Null((await PageAsync("Patient", "", count: 2, total: TotalMode.None)).Total);
        Assert.Equal(5, (await PageAsync("Patient", "", count: 2, total: TotalMode.Accurate)).Total);
        var estimate = await PageAsync("Patient", "", count: 2, total: TotalMode.Estimate);
        Assert.True(estimate.TotalIsEstimate);
        Assert.NotNull(estimate.Total);
    }

    [Fact]
    public async Task GivenReferences_WhenIncluding_ThenTargetsSourcesIterateAndCapAreReported()
    {
        var org = await PutAsync(new Organization { Name = "Inc" + _tag });
        var patient = await PutAsync(new Patient { ManagingOrganization = new ResourceReference("Organization/" + org) });
        var plan1 = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patient) });
        var plan2 = await PutAsync(new CarePlan { Status = RequestStatus.Draft, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patient) });

        var included = await PageAsync("CarePlan", "_include=CarePlan:subject");
        Assert.Equal([plan1, plan2], included.Matches.Select(m => m.Id));
        Assert.Equal([("Patient", patient)], included.Included.Select(r => (r.ResourceType, r.Id)));

        var iterated = await PageAsync("CarePlan", "_include=CarePlan:subject&_include:iterate=Patient:organization");
        Assert.Equal([("Patient", patient), ("Organization", org)], iterated.Included.Select(r => (r.ResourceType, r.Id)));

        var rev = await PageAsync("Patient", "_revinclude=CarePlan:subject");
        Assert.Equal([patient], rev.Matches.Select(m => m.Id));
        Assert.Equal([plan1, plan2], rev.Included.Select(r => r.Id));
        Assert.False(rev.IncludesCapped);

        var capped = await PageAsync("Patient", "_revinclude=CarePlan:subject", maxIncludes: 1);
        Assert.Single(capped.Included);
        Assert.True(capped.IncludesCapped);

        var star = await PageAsync("CarePlan", "_include=*&status=active");
        Assert.Equal([("Patient", patient)], star.Included.Select(r => (r.ResourceType, r.Id)));
    }

    [Fact]
    public async Task GivenCompartment_WhenSearching_ThenOnlyResourcesOfThatPatient()
    {
        var patient = await PutAsync(new Patient { Active = true });
        var mine = await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/" + patient) });
        await PutAsync(new CarePlan { Status = RequestStatus.Active, Intent = CarePlan.CarePlanIntent.Plan, Subject = new ResourceReference("Patient/someone-else") });

        var query = Query("CarePlan", "");
        var page = await _search.SearchAsync(query with { Criteria = [.. query.Criteria, new CompartmentCriterion("Patient", patient)] }, new SearchPaging(10, null, TotalMode.Default, 10), CancellationToken.None);
        Assert.Equal([mine], page.Matches.Select(m => m.Id));

        var everything = Parser.ParseSystem([KeyValuePair.Create("_type", "Patient,CarePlan,Observation"), KeyValuePair.Create("_tag", $"{TagSystem}|{_tag}")], strict: true);
        var all = await _search.SearchAsync(everything with { Criteria = [.. everything.Criteria, new CompartmentCriterion("Patient", patient)] }, new SearchPaging(10, null, TotalMode.Default, 10), CancellationToken.None);
        Assert.Equal([patient, mine], all.Matches.Select(m => m.Id));
    }

    [Fact]
    public async Task GivenCustomSearchParameter_WhenIndexedAndSearched_ThenItWorksLikeACoreOne()
    {
        var ins = new SearchParameter
        {
            Url = "https://fhircoord.example/fhir/SearchParameter/patient-ins", Name = "ins", Status = PublicationStatus.Active,
            Code = "ins", Base = [ResourceType.Patient], Type = SearchParamType.Token,
            Expression = "Patient.identifier.where(system = 'urn:oid:1.2.250.1.213.1.4.8')", Description = "INS",
        };
        var catalog = new SearchParameterCatalog([ins]);
        var writer = new CustomWriter(fixture.Store, catalog);
        var nir = Writer.UniqueId("nir");
        var id = Writer.UniqueId("pat");
        await writer.PutAsync(Tagged(new Patient { Identifier = [new Identifier("urn:oid:1.2.250.1.213.1.4.8", nir), new Identifier("urn:other", nir + "x")] }), id);

        var parser = new SearchQueryParser(catalog);
        var page = await new PostgresSearchStore(fixture.DataSource, catalog).SearchAsync(
            parser.Parse("Patient", [KeyValuePair.Create("ins", nir)], strict: true), new SearchPaging(10, null, TotalMode.Default, 10), CancellationToken.None);
        Assert.Equal([id], page.Matches.Select(m => m.Id));
        Assert.Empty((await new PostgresSearchStore(fixture.DataSource, catalog).SearchAsync(
            parser.Parse("Patient", [KeyValuePair.Create("ins", nir + "x")], strict: true), new SearchPaging(10, null, TotalMode.Default, 10), CancellationToken.None)).Matches);
    }

    [Fact]
    public void GivenEveryParameterOfEveryType_WhenHashingIds_ThenNoTwoCollide()
    {
        var keys = Catalog.All.Select(p => p.Key).Concat(Catalog.All.Select(p => p.Key + ":text")).Concat(Catalog.All.Select(p => p.Key + ":identifier")).Distinct().ToList();
        var ids = keys.Select(k => SearchKeys.ParamId(k[..k.IndexOf('.')], k[(k.IndexOf('.') + 1)..])).ToList();

        Assert.Equal(keys.Count, ids.Distinct().Count());
        Assert.True(Catalog.All.Count() > 1500);
    }

    private sealed class CustomWriter(IResourceStore store, SearchParameterCatalog catalog)
    {
        public async Task PutAsync(Resource resource, string id)
        {
            var versions = new Core.Interactions.VersionFactory(new Core.Interactions.NoProfileValidation(), new SearchIndexer(catalog), TimeProvider.System);
            await using var uow = await store.BeginAsync(CancellationToken.None);
            var version = versions.Next(resource, id, null);
            await uow.WriteAsync(version, null, CancellationToken.None);
            await uow.CommitAsync(CancellationToken.None);
        }
    }
}
