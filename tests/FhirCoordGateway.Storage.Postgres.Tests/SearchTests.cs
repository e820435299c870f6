using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// Search by <c>_id</c> and identifier tokens over current, non-deleted resources. Every system and code is
/// unique to the test, so the expected result sets are exact. https://hl7.org/fhir/R4/search.html#token
/// </summary>
[Collection(PostgresCollection.Name)]
public class SearchTests(PostgresFixture fixture)
{
    private static readonly SearchQueryParser Parser = new(new SearchParameterCatalog());
    private readonly IResourceStore _store = fixture.Store;
    private readonly Writer _writer = new(fixture.Store);

    private async Task<List<string>> IdsAsync(string type, string queryString, int limit = 100)
    {
        var parameters = queryString.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));
        var found = await _store.SearchAsync(Parser.Parse(type, parameters, strict: true), limit, CancellationToken.None);
        Assert.All(found, r => Assert.Equal((type, false), (r.ResourceType, r.Deleted)));
        return found.Select(r => r.Id).ToList();
    }

    /// <summary>Four patients sharing a code under different systems, and one Observation with the same token.</summary>
    private async Task<TokenWorld> TokenWorldAsync(string name)
    {
        var sys = "http://hospital.example.org/" + Writer.UniqueId("sys");
        var otherSys = "http://clinic.example.org/" + Writer.UniqueId("sys");
        var code = Writer.UniqueId("mrn");
        var withSys = Writer.UniqueId(name + "-1");
        var noSys = Writer.UniqueId(name + "-2");
        var inOtherSys = Writer.UniqueId(name + "-3");
        var otherCode = Writer.UniqueId(name + "-4");
        await _writer.PutAsync(Writer.Patient(new Identifier(sys, code)), withSys);
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = code }), noSys);
        await _writer.PutAsync(Writer.Patient(new Identifier(otherSys, code)), inOtherSys);
        await _writer.PutAsync(Writer.Patient(new Identifier(sys, code + "-other")), otherCode);
        await _writer.PutAsync(
            new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Identifier = [new Identifier(sys, code)] },
            Writer.UniqueId(name + "-obs"));
        return new TokenWorld(sys, otherSys, code, withSys, noSys, inOtherSys, otherCode);
    }

    [Fact]
    public async Task GivenSystemAndCode_WhenSearching_ThenOnlyThatSystemsResource()
    {
        var w = await TokenWorldAsync("srch-sc");

        Assert.Equal([w.WithSys], await IdsAsync("Patient", $"identifier={w.Sys}|{w.Code}"));
    }

    [Fact]
    public async Task GivenCodeOnly_WhenSearching_ThenTheCodeInAnySystemOrNone()
    {
        var w = await TokenWorldAsync("srch-c");

        Assert.Equal([w.WithSys, w.NoSys, w.OtherSys], await IdsAsync("Patient", $"identifier={w.Code}"));
    }

    [Fact]
    public async Task GivenBarAndCode_WhenSearching_ThenOnlyTheCodeWithoutSystem()
    {
        var w = await TokenWorldAsync("srch-nc");

        Assert.Equal([w.NoSys], await IdsAsync("Patient", $"identifier=|{w.Code}"));
    }

    [Fact]
    public async Task GivenSystemAndBar_WhenSearching_ThenEveryCodeOfThatSystem()
    {
        var w = await TokenWorldAsync("srch-s");

        Assert.Equal([w.WithSys, w.OtherCode], await IdsAsync("Patient", $"identifier={w.Sys}|"));
    }

    [Fact]
    public async Task GivenSeveralValues_WhenSearching_ThenTheyAreOred()
    {
        var w = await TokenWorldAsync("srch-or");

        Assert.Equal([w.NoSys, w.OtherSys], await IdsAsync("Patient", $"identifier=|{w.Code},{w.OtherSystem}|{w.Code}"));
    }

    [Fact]
    public async Task GivenIdAndIdentifier_WhenSearching_ThenBothMustMatch()
    {
        var w = await TokenWorldAsync("srch-and");

        Assert.Equal([w.WithSys, w.NoSys], await IdsAsync("Patient", $"_id={w.WithSys},{w.NoSys},{w.OtherCode}&identifier={w.Code}"));
        Assert.Empty(await IdsAsync("Patient", $"_id={w.OtherSys}&identifier={w.Sys}|"));
        Assert.Equal([w.OtherCode], await IdsAsync("Patient", $"identifier={w.Sys}|&identifier={w.Code}-other"));
    }

    [Fact]
    public async Task GivenIds_WhenSearching_ThenExactlyThoseOfTheType()
    {
        var w = await TokenWorldAsync("srch-id");

        Assert.Equal([w.WithSys, w.OtherCode], await IdsAsync("Patient", $"_id={w.OtherCode},{w.WithSys},{Writer.UniqueId("missing")}"));
        Assert.Empty(await IdsAsync("Observation", $"_id={w.WithSys}"));
    }

    [Fact]
    public async Task GivenTokenOfAnotherType_WhenSearching_ThenOnlyTheSearchedType()
    {
        var w = await TokenWorldAsync("srch-type");

        var observations = await IdsAsync("Observation", $"identifier={w.Sys}|{w.Code}");

        Assert.Single(observations);
        Assert.StartsWith("srch-type-obs-", observations[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task GivenDeletedResource_WhenSearching_ThenItIsLeftOut()
    {
        var w = await TokenWorldAsync("srch-del");
        await _writer.DeleteAsync("Patient", w.OtherSys);

        Assert.Equal([w.WithSys, w.NoSys], await IdsAsync("Patient", $"identifier={w.Code}"));
        Assert.Empty(await IdsAsync("Patient", $"_id={w.OtherSys}"));
    }

    [Fact]
    public async Task GivenLimit_WhenSearching_ThenAtMostThatManyInWriteOrder()
    {
        var w = await TokenWorldAsync("srch-limit");

        Assert.Equal([w.WithSys, w.NoSys], await IdsAsync("Patient", $"identifier={w.Code}", limit: 2));
        Assert.Equal([w.WithSys], await IdsAsync("Patient", $"identifier={w.Code}", limit: 1));
    }

    [Fact]
    public async Task GivenMatch_WhenSearching_ThenTheCurrentVersionIsReturned()
    {
        var id = Writer.UniqueId("srch-cur");
        var code = Writer.UniqueId("mrn");
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = code }), id);
        var v2 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = code }, new Identifier { Value = code + "-b" }), id);

        var found = await _store.SearchAsync(Parser.Parse("Patient", [KeyValuePair.Create("identifier", code)], strict: true), 10, CancellationToken.None);

        Assert.Equal([Writer.Stored(v2)], found);
    }

    [Fact]
    public async Task GivenEscapedCharactersInIdentifier_WhenSearchingWithEscapes_ThenItMatches()
    {
        var id = Writer.UniqueId("srch-esc");
        var code = Writer.UniqueId("a,b|c") + @"\d$";
        await _writer.PutAsync(Writer.Patient(new Identifier("urn:x|y", code)), id);

        var escaped = code.Replace(@"\", @"\\").Replace(",", @"\,").Replace("|", @"\|").Replace("$", @"\$");
        Assert.Equal([id], await IdsAsync("Patient", $@"identifier=urn:x\|y|{escaped}"));
        Assert.Equal([id], await IdsAsync("Patient", $"identifier={escaped}"));
    }

    [Fact]
    public async Task GivenUncommittedWrite_WhenSearchingInsideAndOutsideTheUnitOfWork_ThenOnlyInsideFindsIt()
    {
        var id = Writer.UniqueId("srch-uow");
        var code = Writer.UniqueId("mrn");
        var query = Parser.Parse("Patient", [KeyValuePair.Create("identifier", code)], strict: true);

        await using var uow = await _store.BeginAsync(CancellationToken.None);
        var version = _writer.Versions.Next(Writer.Patient(new Identifier { Value = code }), id, previous: null);
        await uow.WriteAsync(version, previous: null, CancellationToken.None);

        Assert.Equal([Writer.Stored(version)], await uow.SearchAsync(query, 10, CancellationToken.None));
        Assert.Empty(await _store.SearchAsync(query, 10, CancellationToken.None));
    }

    /// <param name="WithSys">Patient with Sys|Code.</param>
    /// <param name="NoSys">Patient with Code and no system.</param>
    /// <param name="OtherSys">Patient with OtherSystem|Code.</param>
    /// <param name="OtherCode">Patient with Sys|Code-other.</param>
    private sealed record TokenWorld(string Sys, string OtherSystem, string Code, string WithSys, string NoSys, string OtherSys, string OtherCode);
}
