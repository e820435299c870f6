using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// History from the change log, newest first, paged by position. Instance history is fully ours, so it is
/// asserted exactly; type and system history are shared with tests running in parallel, so those assert
/// the order of our own entries and the paging invariants, never counts.
/// </summary>
[Collection(PostgresCollection.Name)]
public class HistoryTests(PostgresFixture fixture)
{
    private readonly IResourceStore _store = fixture.Store;
    private readonly Writer _writer = new(fixture.Store);

    private Task<HistoryPage> ReadAsync(string? type, string? id, int count, long? before = null, DateTimeOffset? since = null) =>
        _store.ReadHistoryAsync(new HistoryQuery(type, id, since, count, before), CancellationToken.None);

    /// <summary>Writes create, update, update, delete, create: five versions.</summary>
    private async Task<List<NewVersion>> FiveVersionsAsync(string id)
    {
        return
        [
            await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-1" }), id),
            await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-2" }), id),
            await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-3" }), id),
            await _writer.DeleteAsync("Patient", id),
            await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-5" }), id),
        ];
    }

    private static void AssertNewestFirstWithoutDuplicates(IReadOnlyList<HistoryEntry> entries)
    {
        var positions = entries.Select(e => e.Position).ToList();
        Assert.Equal(positions.OrderDescending(), positions);
        Assert.Equal(positions.Count, positions.Distinct().Count());
    }

    /// <summary>Pages a history from <paramref name="before"/> down to (and including) <paramref name="last"/>.</summary>
    private async Task<List<HistoryEntry>> PageDownToAsync(string? type, long before, long last, int count, DateTimeOffset? since = null)
    {
        var all = new List<HistoryEntry>();
        long? cursor = before;
        while (cursor is { } c)
        {
            var page = await ReadAsync(type, null, count, c, since);
            Assert.True(page.Entries.Count <= count);
            Assert.All(page.Entries, e => Assert.True(e.Position < c, $"position {e.Position} is not before the cursor {c}"));
            if (page.NextBefore is { } next)
            {
                Assert.Equal(count, page.Entries.Count);
                Assert.Equal(page.Entries[^1].Position, next);
            }

            all.AddRange(page.Entries);
            cursor = page.Entries.Count > 0 && page.Entries[^1].Position > last ? page.NextBefore : null;
        }

        AssertNewestFirstWithoutDuplicates(all);
        return all;
    }

    [Fact]
    public async Task GivenFiveVersions_WhenReadingInstanceHistory_ThenEveryVersionNewestFirstWithItsOperation()
    {
        var id = Writer.UniqueId("hist-inst");
        var versions = await FiveVersionsAsync(id);

        var page = await ReadAsync("Patient", id, 50);

        Assert.Null(page.NextBefore);
        Assert.Equal(
            [
                (5, ChangeOperation.Create),
                (4, ChangeOperation.Delete),
                (3, ChangeOperation.Update),
                (2, ChangeOperation.Update),
                (1, ChangeOperation.Create),
            ],
            page.Entries.Select(e => (e.Version.Version, e.Operation)));
        Assert.Equal(versions.AsEnumerable().Reverse().Select(Writer.Stored), page.Entries.Select(e => e.Version));
        Assert.Null(page.Entries[1].Version.Json);
        AssertNewestFirstWithoutDuplicates(page.Entries);
    }

    [Fact]
    public async Task GivenFiveVersions_WhenPagingInstanceHistoryWhileWriting_ThenEachPageContinuesExactlyAfterThePrevious()
    {
        var id = Writer.UniqueId("hist-page");
        await FiveVersionsAsync(id);

        var page1 = await ReadAsync("Patient", id, 2);
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-6" }), id); // arrives between pages
        var page2 = await ReadAsync("Patient", id, 2, page1.NextBefore);
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-7" }), id);
        var page3 = await ReadAsync("Patient", id, 2, page2.NextBefore);

        Assert.Equal([5, 4], page1.Entries.Select(e => e.Version.Version));
        Assert.Equal(page1.Entries[1].Position, page1.NextBefore);
        Assert.Equal([3, 2], page2.Entries.Select(e => e.Version.Version));
        Assert.Equal(page2.Entries[1].Position, page2.NextBefore);
        Assert.Equal([1], page3.Entries.Select(e => e.Version.Version));
        Assert.Null(page3.NextBefore);
        AssertNewestFirstWithoutDuplicates([.. page1.Entries, .. page2.Entries, .. page3.Entries]);

        // A fresh first page now starts with the versions written meanwhile.
        Assert.Equal([7, 6], (await ReadAsync("Patient", id, 2)).Entries.Select(e => e.Version.Version));
    }

    [Fact]
    public async Task GivenExactlyOnePageOfVersions_WhenReadingHistory_ThenNoNextPage()
    {
        var id = Writer.UniqueId("hist-exact");
        await FiveVersionsAsync(id);

        var page = await ReadAsync("Patient", id, 5);

        Assert.Equal(5, page.Entries.Count);
        Assert.Null(page.NextBefore);
    }

    [Fact]
    public async Task GivenSince_WhenReadingInstanceHistory_ThenOnlyVersionsAtOrAfterIt()
    {
        var id = Writer.UniqueId("hist-since");
        var versions = await FiveVersionsAsync(id);

        var atThird = await ReadAsync("Patient", id, 50, since: versions[2].LastUpdated);
        var justAfterThird = await ReadAsync("Patient", id, 50, since: versions[2].LastUpdated.AddMilliseconds(1));
        var afterAll = await ReadAsync("Patient", id, 50, since: versions[4].LastUpdated.AddMilliseconds(1));

        Assert.Equal([5, 4, 3], atThird.Entries.Select(e => e.Version.Version));
        Assert.Equal([5, 4], justAfterThird.Entries.Select(e => e.Version.Version));
        Assert.Empty(afterAll.Entries);
        Assert.Null(afterAll.NextBefore);
    }

    [Fact]
    public async Task GivenSinceAndCount_WhenPagingInstanceHistory_ThenPagesStayWithinSince()
    {
        var id = Writer.UniqueId("hist-since-page");
        var versions = await FiveVersionsAsync(id);
        var since = versions[1].LastUpdated;

        var page1 = await ReadAsync("Patient", id, 2, since: since);
        var page2 = await ReadAsync("Patient", id, 2, page1.NextBefore, since);

        Assert.Equal([5, 4], page1.Entries.Select(e => e.Version.Version));
        Assert.Equal([3, 2], page2.Entries.Select(e => e.Version.Version));
        Assert.Null(page2.NextBefore);
    }

    [Fact]
    public async Task GivenUnknownInstance_WhenReadingHistory_ThenEmpty()
    {
        var page = await ReadAsync("Patient", Writer.UniqueId("hist-none"), 10);

        Assert.Empty(page.Entries);
        Assert.Null(page.NextBefore);
    }

    [Fact]
    public async Task GivenWritesOfTwoTypes_WhenPagingTypeHistory_ThenOnlyThatTypeNewestFirstWithOursInOrder()
    {
        var a = Writer.UniqueId("hist-type-a");
        var b = Writer.UniqueId("hist-type-b");
        var other = Writer.UniqueId("hist-type-o");
        var written = new List<NewVersion>
        {
            await _writer.PutAsync(new Basic { Code = new CodeableConcept("http://x.org", "a") }, a),
            await _writer.PutAsync(new Basic { Code = new CodeableConcept("http://x.org", "b") }, b),
            await _writer.PutAsync(Writer.Patient(new Identifier { Value = other }), other),
            await _writer.PutAsync(new Basic { Code = new CodeableConcept("http://x.org", "a2") }, a),
            await _writer.DeleteAsync("Basic", b),
        };
        var positions = (await ReadAsync("Basic", a, 10)).Entries.Concat((await ReadAsync("Basic", b, 10)).Entries).Select(e => e.Position).ToList();

        var entries = await PageDownToAsync("Basic", positions.Max() + 1, positions.Min(), count: 2);

        Assert.All(entries, e => Assert.Equal("Basic", e.Version.ResourceType));
        Assert.Equal(
            [(b, 2, ChangeOperation.Delete), (a, 2, ChangeOperation.Update), (b, 1, ChangeOperation.Create), (a, 1, ChangeOperation.Create)],
            entries.Where(e => e.Version.Id == a || e.Version.Id == b).Select(e => (e.Version.Id, e.Version.Version, e.Operation)));
        Assert.Equal(
            written.Where(v => v.ResourceType == "Basic").Reverse().Select(Writer.Stored),
            entries.Where(e => e.Version.Id == a || e.Version.Id == b).Select(e => e.Version));
    }

    [Fact]
    public async Task GivenWritesOfTwoTypes_WhenPagingSystemHistory_ThenEveryTypeNewestFirstWithOursInOrder()
    {
        var p = Writer.UniqueId("hist-sys-p");
        var o = Writer.UniqueId("hist-sys-o");
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = p }), p);
        await _writer.PutAsync(new Basic { Code = new CodeableConcept("http://x.org", "o") }, o);
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = p + "-2" }), p);
        var positions = (await ReadAsync("Patient", p, 10)).Entries.Concat((await ReadAsync("Basic", o, 10)).Entries).Select(e => e.Position).ToList();

        var page1 = await ReadAsync(null, null, 1, positions.Max() + 1);
        await _writer.PutAsync(new Basic { Code = new CodeableConcept("http://x.org", "o2") }, o); // arrives between pages
        var rest = await PageDownToAsync(null, page1.NextBefore!.Value, positions.Min(), count: 1);
        var entries = page1.Entries.Concat(rest).ToList();

        AssertNewestFirstWithoutDuplicates(entries);
        Assert.Equal((p, 2), (page1.Entries.Single().Version.Id, page1.Entries.Single().Version.Version));
        Assert.Equal(
            [("Patient", p, 2), ("Basic", o, 1), ("Patient", p, 1)],
            entries.Where(e => e.Version.Id == p || e.Version.Id == o).Select(e => (e.Version.ResourceType, e.Version.Id, e.Version.Version)));
    }

    [Fact]
    public async Task GivenSince_WhenReadingTypeAndSystemHistory_ThenEveryEntryIsAtOrAfterItAndOursBeforeItAreLeftOut()
    {
        var id = Writer.UniqueId("hist-sys-since");
        var versions = await FiveVersionsAsync(id);
        var since = versions[3].LastUpdated;
        var last = (await ReadAsync("Patient", id, 1)).Entries.Single().Position;

        foreach (var type in new[] { "Patient", null })
        {
            var page = await ReadAsync(type, null, 1000, last + 1, since);

            Assert.All(page.Entries, e => Assert.True(e.Version.LastUpdated >= since, $"{e.Version.VersionedReference} at {e.Version.LastUpdated:O} is before {since:O}"));
            Assert.Equal([5, 4], page.Entries.Where(e => e.Version.Id == id).Select(e => e.Version.Version));
        }
    }
}
