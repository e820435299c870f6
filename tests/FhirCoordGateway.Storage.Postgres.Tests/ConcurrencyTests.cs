using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// Writers that skip the lock are caught by the version check; writers that take it run one after the other.
/// Blocking is observed in pg_locks (an ungranted lock held by a session with this test's application name), not guessed from sleeps.
/// </summary>
[Collection(PostgresCollection.Name)]
public class ConcurrencyTests(PostgresFixture fixture)
{
    private readonly IResourceStore _store = fixture.Store;
    private readonly Database _db = fixture.Db;
    private readonly Writer _writer = new(fixture.Store);

    [Fact]
    public async Task GivenStalePreviousVersion_WhenWriting_ThenConflictAndNothingOfItIsWritten()
    {
        var id = Writer.UniqueId("conc-stale");
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-v1" }), id);

        await using var late = await _store.BeginAsync(CancellationToken.None);
        var seenByLate = await late.ReadAsync("Patient", id, CancellationToken.None);
        var v2 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-v2" }), id); // commits in between, no shared lock
        var lateVersion = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id + "-late" }), id, seenByLate);

        var e = await Assert.ThrowsAsync<FhirOutcomeException>(() => late.WriteAsync(lateVersion, seenByLate, CancellationToken.None));
        await late.DisposeAsync();

        Assert.Equal(Writer.Stored(v1), seenByLate);
        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Equal(409, e.Status);
        Assert.Equal(OperationOutcome.IssueType.Conflict, e.Outcome.Issue.Single().Code);
        Assert.Equal(Writer.Stored(v2), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Equal([new HistoryRow(1, v1.LastUpdated, false, v1.Json)], await _db.HistoryAsync("Patient", id));
        Assert.Equal([(1, "create"), (2, "update")], (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation)));
        Assert.Equal([new TokenRow("identifier", null, id + "-v2")], await _db.TokensAsync("Patient", id));
        Assert.Equal(0, await _db.TokenCountAsync(id + "-late"));
    }

    [Fact]
    public async Task GivenStalePreviousVersionStillUncommitted_WhenWriting_ThenItWaitsAndThenConflicts()
    {
        var id = Writer.UniqueId("conc-stale-wait");
        var appName = Writer.UniqueId("fc-stale");
        await using var named = fixture.NamedDataSource(appName);
        var lateStore = new PostgresResourceStore(named);
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-v1" }), id);

        await using var first = await _store.BeginAsync(CancellationToken.None);
        var v2 = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id + "-v2" }), id, Writer.Stored(v1));
        await first.WriteAsync(v2, Writer.Stored(v1), CancellationToken.None);

        await using var late = await lateStore.BeginAsync(CancellationToken.None);
        var lateVersion = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id + "-late" }), id, Writer.Stored(v1));
        var lateWrite = late.WriteAsync(lateVersion, Writer.Stored(v1), CancellationToken.None);
        await Wait.UntilAsync(() => Wait.IsWaitingForLockAsync(fixture.DataSource, appName, "transactionid"), "the late writer waits for the first");
        Assert.False(lateWrite.IsCompleted);
        await first.CommitAsync(CancellationToken.None);

        var e = await Assert.ThrowsAsync<FhirOutcomeException>(() => lateWrite.WaitAsync(Wait.Guard));
        await late.DisposeAsync();

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Equal(Writer.Stored(v2), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Equal([1], (await _db.HistoryAsync("Patient", id)).Select(h => h.Version));
        Assert.Equal([(1, "create"), (2, "update")], (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation)));
        Assert.Equal(0, await _db.TokenCountAsync(id + "-late"));
    }

    [Fact]
    public async Task GivenResourceCreatedMeanwhile_WhenCreatingTheSameIdWithoutPrevious_ThenConflictAndOneResource()
    {
        var id = Writer.UniqueId("conc-create");

        await using var late = await _store.BeginAsync(CancellationToken.None);
        Assert.Null(await late.ReadAsync("Patient", id, CancellationToken.None));
        var first = await _writer.PutAsync(Writer.Patient(new Identifier { Value = id + "-first" }), id);
        var lateVersion = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id + "-late" }), id, previous: null);

        var e = await Assert.ThrowsAsync<FhirOutcomeException>(() => late.WriteAsync(lateVersion, previous: null, CancellationToken.None));
        await late.DisposeAsync();

        Assert.Equal(FailureKind.Conflict, e.Kind);
        Assert.Equal(409, e.Status);
        Assert.Equal(Writer.Stored(first), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Equal([(1, "create")], (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation)));
        Assert.Equal([new TokenRow("identifier", null, id + "-first")], await _db.TokensAsync("Patient", id));
        Assert.Equal(0, await _db.TokenCountAsync(id + "-late"));
    }

    [Fact]
    public async Task GivenKeyLockedByAUnitOfWork_WhenAnotherLocksIt_ThenItWaitsUntilTheFirstCommitsAndSeesItsWrite()
    {
        var id = Writer.UniqueId("conc-lock");
        var key = "Patient/" + id;
        var appName = Writer.UniqueId("fc-lock");
        await using var named = fixture.NamedDataSource(appName);
        var secondStore = new PostgresResourceStore(named);

        await using var first = await _store.BeginAsync(CancellationToken.None);
        await first.LockAsync(key, CancellationToken.None);
        Assert.Null(await first.ReadAsync("Patient", id, CancellationToken.None));

        await using var second = await secondStore.BeginAsync(CancellationToken.None);
        var secondRead = LockThenReadAsync(second, key, id);
        await Wait.UntilAsync(() => Wait.IsWaitingForLockAsync(fixture.DataSource, appName, "advisory"), "the second unit of work waits for the lock");
        Assert.False(secondRead.IsCompleted);

        var written = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id }), id, previous: null);
        await first.WriteAsync(written, previous: null, CancellationToken.None);
        Assert.False(secondRead.IsCompleted);
        await first.CommitAsync(CancellationToken.None);

        // Having waited, the second decides on what the first committed.
        Assert.Equal(Writer.Stored(written), await secondRead.WaitAsync(Wait.Guard));
        Assert.False(await Wait.IsWaitingForLockAsync(fixture.DataSource, appName, "advisory"));
    }

    [Fact]
    public async Task GivenKeyLockedByAUnitOfWork_WhenItIsDisposedWithoutCommit_ThenTheWaitingOneGetsTheLock()
    {
        var key = "conditional:Patient?identifier=" + Writer.UniqueId("conc-lock-rb");
        var appName = Writer.UniqueId("fc-lock-rb");
        await using var named = fixture.NamedDataSource(appName);

        var first = await _store.BeginAsync(CancellationToken.None);
        await first.LockAsync(key, CancellationToken.None);
        await using var second = await new PostgresResourceStore(named).BeginAsync(CancellationToken.None);
        var secondLock = second.LockAsync(key, CancellationToken.None);
        await Wait.UntilAsync(() => Wait.IsWaitingForLockAsync(fixture.DataSource, appName, "advisory"), "the second unit of work waits for the lock");
        Assert.False(secondLock.IsCompleted);

        await first.DisposeAsync();

        await secondLock.WaitAsync(Wait.Guard);
        Assert.False(await Wait.IsWaitingForLockAsync(fixture.DataSource, appName, "advisory"));
    }

    [Fact]
    public async Task GivenKeyLockedByAUnitOfWork_WhenAnotherLocksADifferentKey_ThenItDoesNotWait()
    {
        var prefix = Writer.UniqueId("conc-lock-diff");

        await using var first = await _store.BeginAsync(CancellationToken.None);
        await first.LockAsync(prefix + "/a", CancellationToken.None);
        await using var second = await _store.BeginAsync(CancellationToken.None);

        await second.LockAsync(prefix + "/b", CancellationToken.None).WaitAsync(Wait.Guard);
    }

    [Fact]
    public async Task GivenTenWritersOfOneResource_WhenEachLocksReadsAndWrites_ThenVersionsOneToTenWithoutLoss()
    {
        var id = Writer.UniqueId("conc-ten");

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => _writer.PutAsync(Writer.Patient(new Identifier { Value = $"{id}-{i}" }), id))));

        var current = await _store.ReadAsync("Patient", id, CancellationToken.None);
        Assert.Equal(10, current!.Version);
        Assert.Equal(Enumerable.Range(1, 10), (await _db.ChangeLogAsync("Patient", id)).Select(c => c.Version));
        Assert.Equal(Enumerable.Range(1, 9), (await _db.HistoryAsync("Patient", id)).Select(h => h.Version));
        Assert.Single(await _db.TokensAsync("Patient", id));
    }

    private static async Task<StoredResource?> LockThenReadAsync(IResourceUnitOfWork uow, string key, string id)
    {
        await uow.LockAsync(key, CancellationToken.None);
        return await uow.ReadAsync("Patient", id, CancellationToken.None);
    }
}
