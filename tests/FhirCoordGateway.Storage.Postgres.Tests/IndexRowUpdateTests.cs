using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// An update replaces only the index rows that changed (docs/adr/0004): rows of unchanged values are not rewritten,
/// rows of removed values are gone, rows of new values are there, and after any sequence of writes the rows are exactly
/// those a fresh create of the last version would have.
/// </summary>
[Collection(PostgresCollection.Name)]
public class IndexRowUpdateTests(PostgresFixture fixture)
{
    private readonly IResourceStore _store = fixture.Store;
    private readonly Database _db = fixture.Db;
    private readonly Writer _writer = new(fixture.Store);

    private static Patient Patient(string family, string birthDate, params string[] mrns) => new()
    {
        Active = true,
        Identifier = [.. mrns.Select(m => new Identifier("http://x.org/mrn", m))],
        Name = [new HumanName { Family = family }],
        BirthDate = birthDate,
    };

    private static SearchQuery ByCode(string code) => new("Patient", [new TokenCriterion("identifier", [new TokenValue(null, code, false)])]);

    private static SearchQuery ByFamily(string family) => new("Patient", [new StringCriterion("family", StringMatch.Exact, [family])]);

    [Fact]
    public async Task GivenUpdateChangingSomeValues_WhenWriting_ThenRowsOfUnchangedValuesStayAndOnlyChangedOnesAreReplaced()
    {
        var id = Writer.UniqueId("idx-diff");
        var (kept, removed, added) = (Writer.UniqueId("mrn-kept"), Writer.UniqueId("mrn-removed"), Writer.UniqueId("mrn-added"));
        var (oldFamily, newFamily) = (Writer.UniqueId("Durand"), Writer.UniqueId("Martin"));
        await _writer.PutAsync(Patient(oldFamily, "1970-03-01", kept, removed), id);
        var before = await _db.IndexRowsAsync("Patient", id);

        var v2 = await _writer.PutAsync(Patient(newFamily, "1970-03-01", kept, added), id);

        var after = await _db.IndexRowsAsync("Patient", id);
        var stayed = after.Where(a => before.Contains(a)).ToList();
        var written = after.Except(stayed).ToList();
        // Rows whose values are in both versions are the very rows the create wrote; the others were written by the update.
        Assert.NotEmpty(stayed);
        Assert.Equal(
            after.Select(a => (a.Table, a.Values)).Except(before.Select(b => (b.Table, b.Values))).Order(),
            written.Select(w => (w.Table, w.Values)).Order());
        Assert.Single(written.Select(w => w.WrittenBy).Distinct());
        // Token rows carry the code in their sort key.
        Assert.Contains(stayed, s => s.Table == "sp_token" && s.Values.Contains(kept, StringComparison.Ordinal));
        Assert.Contains(written, w => w.Table == "sp_token" && w.Values.Contains(added, StringComparison.Ordinal));
        Assert.DoesNotContain(after, x => x.Values.Contains(removed, StringComparison.Ordinal));
        Assert.DoesNotContain(written.Select(w => w.WrittenBy), before.Select(b => b.WrittenBy).Contains);
        // The update touched the identifier, the name and the text rows, not the birth date, active or the other identifier.
        Assert.Contains(stayed, s => s.Table == "sp_date");
        Assert.Equal(
            before.Select(b => (b.Table, b.Values)).Intersect(after.Select(a => (a.Table, a.Values))).Order(),
            stayed.Select(s => (s.Table, s.Values)).Order());

        Assert.Empty(await _store.SearchAsync(ByCode(removed), 10, CancellationToken.None));
        Assert.Empty(await _store.SearchAsync(ByFamily(oldFamily), 10, CancellationToken.None));
        Assert.Equal([Writer.Stored(v2)], await _store.SearchAsync(ByCode(added), 10, CancellationToken.None));
        Assert.Equal([Writer.Stored(v2)], await _store.SearchAsync(ByCode(kept), 10, CancellationToken.None));
        Assert.Equal([Writer.Stored(v2)], await _store.SearchAsync(ByFamily(newFamily), 10, CancellationToken.None));
    }

    [Fact]
    public async Task GivenSeveralUpdatesAndADelete_WhenComparingIndexRows_ThenTheyAreExactlyThoseOfAFreshCreateOfTheLastVersion()
    {
        var (id, twin) = (Writer.UniqueId("idx-seq"), Writer.UniqueId("idx-twin"));
        var (a, b, c) = (Writer.UniqueId("mrn-a"), Writer.UniqueId("mrn-b"), Writer.UniqueId("mrn-c"));
        var practitioner = Writer.UniqueId("idx-gp");
        await _writer.PutAsync(new Practitioner { Active = true }, practitioner);
        var last = Patient("Bernard", "1981-07-14", a, c, c);
        last.GeneralPractitioner = [new ResourceReference($"Practitioner/{practitioner}")];

        await _writer.PutAsync(Patient("Bernard", "1980-01-01", a, b), id);
        await _writer.PutAsync(Patient("Petit", "1980-01-01", b), id);
        await _writer.DeleteAsync("Patient", id);
        await _writer.PutAsync(Patient("Petit", "1981-07-14", b, c), id);
        await _writer.PutAsync(last, id);
        await _writer.PutAsync(last, twin);

        var rows = (await _db.IndexRowsAsync("Patient", id)).Select(r => (r.Table, r.Values)).Order().ToList();
        Assert.Equal((await _db.IndexRowsAsync("Patient", twin)).Select(r => (r.Table, r.Values)).Order(), rows);
        Assert.Contains(rows, r => r.Table == "sp_reference" && !r.Values.Contains("\"target_res_id\": null", StringComparison.Ordinal));
        // Two identical identifiers give one row.
        Assert.Single(rows, r => r.Table == "sp_token" && r.Values.Contains(c, StringComparison.Ordinal));
        Assert.Empty(await _store.SearchAsync(ByCode(b), 10, CancellationToken.None));
    }
}
