using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Tests.Search;

public class SearchIndexerTests
{
    private static readonly SearchIndexer Indexer = new(new SearchParameterCatalog());

    /// <summary>The identifier token rows (the indexer also extracts every other parameter of the type).</summary>
    private static List<TokenIndexEntry> Identifiers(Hl7.Fhir.Model.Resource resource) =>
        Indexer.Extract(resource).Tokens.Where(t => t.Parameter == "identifier").ToList();

    [Fact]
    public void GivenIdentifiersWithAndWithoutSystem_WhenExtracting_ThenEachBecomesAnIdentifierToken()
    {
        var patient = new Patient
        {
            Identifier =
            [
                new Identifier("urn:oid:1.2.36.146.595.217.0.1", "mrn-7f3a21"),
                new Identifier { Value = "nhs-50c1d2" },
            ],
        };

        Assert.Equal(
            [new TokenIndexEntry("identifier", "urn:oid:1.2.36.146.595.217.0.1", "mrn-7f3a21"), new TokenIndexEntry("identifier", null, "nhs-50c1d2")],
            Identifiers(patient));
    }

    [Fact]
    public void GivenIdentifierWithoutValue_WhenExtracting_ThenItIsIgnored()
    {
        var patient = new Patient
        {
            Identifier = [new Identifier { System = "http://x.org/no-value" }, new Identifier("http://x.org/mrn", "mrn-0b44e9")],
        };

        Assert.Equal([new TokenIndexEntry("identifier", "http://x.org/mrn", "mrn-0b44e9")], Identifiers(patient));
    }

    [Fact]
    public void GivenDuplicateIdentifiers_WhenExtracting_ThenOneTokenEach()
    {
        var patient = new Patient
        {
            Identifier =
            [
                new Identifier("http://x.org/mrn", "mrn-dd01"),
                new Identifier("http://x.org/mrn", "mrn-dd01") { Use = Identifier.IdentifierUse.Old },
                new Identifier { Value = "mrn-dd01" },
                new Identifier { Value = "mrn-dd01" },
            ],
        };

        Assert.Equal(
            [new TokenIndexEntry("identifier", "http://x.org/mrn", "mrn-dd01"), new TokenIndexEntry("identifier", null, "mrn-dd01")],
            Identifiers(patient));
    }

    [Fact]
    public void GivenResourceWithoutIdentifiers_WhenExtracting_ThenNoTokens()
    {
        Assert.Empty(Identifiers(new Patient { Active = true }));
    }

    [Fact]
    public void GivenTypeWithoutIdentifierParameter_WhenExtracting_ThenNoTokens()
    {
        Assert.Empty(Identifiers(new Binary { ContentType = "text/plain", Data = [1, 2, 3] }));
    }

    [Fact]
    public void GivenObservationWithIdentifier_WhenExtracting_ThenTheSharedClinicalParameterIsIndexed()
    {
        var observation = new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Identifier = [new Identifier("http://lab.example.org/obs", "obs-33e1")],
        };

        Assert.Equal([new TokenIndexEntry("identifier", "http://lab.example.org/obs", "obs-33e1")], Identifiers(observation));
    }

    [Fact]
    public void GivenOtherTokenElements_WhenExtracting_ThenIdentifierTokensComeOnlyFromIdentifiers()
    {
        // gender and telecom are token parameters too; they must not leak into the identifier parameter.
        var patient = new Patient
        {
            Gender = AdministrativeGender.Female,
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, "555-0101")],
            Identifier = [new Identifier { Value = "mrn-7a7a" }],
        };

        Assert.Equal([new TokenIndexEntry("identifier", null, "mrn-7a7a")], Identifiers(patient));
    }

    [Fact]
    public void GivenSameIndexerTwice_WhenExtractingDifferentResources_ThenEachGetsItsOwnTokens()
    {
        var first = Identifiers(new Patient { Identifier = [new Identifier { Value = "first-1" }] });
        var second = Identifiers(new Patient { Identifier = [new Identifier { Value = "second-2" }] });

        Assert.Equal([new TokenIndexEntry("identifier", null, "first-1")], first);
        Assert.Equal([new TokenIndexEntry("identifier", null, "second-2")], second);
    }
}
