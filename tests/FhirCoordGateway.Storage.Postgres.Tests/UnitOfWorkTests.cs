using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>Writes through a unit of work: the version, its change-log row and its tokens, together or not at all.</summary>
[Collection(PostgresCollection.Name)]
public class UnitOfWorkTests(PostgresFixture fixture)
{
    private readonly IResourceStore _store = fixture.Store;
    private readonly Database _db = fixture.Db;
    private readonly Writer _writer = new(fixture.Store);

    private static SearchQuery ById(string type, string id) => new(type, [new IdCriterion([id])]);

    private static SearchQuery ByCode(string type, string code) => new(type, [new TokenCriterion("identifier", [new TokenValue(null, code, false)])]);

    [Fact]
    public async Task GivenNewResource_WhenWritingInAUnitOfWork_ThenNothingIsVisibleToOthersBeforeCommitAndEverythingAfter()
    {
        var id = Writer.UniqueId("uow-create");
        var mrn = Writer.UniqueId("mrn");
        var version = _writer.Versions.Next(
            Writer.Patient(new Identifier("http://hospital.example.org/mrn", mrn), new Identifier { Value = mrn + "-nosys" }), id, previous: null);

        await using (var uow = await _store.BeginAsync(CancellationToken.None))
        {
            await uow.WriteAsync(version, previous: null, CancellationToken.None);

            // Inside the transaction the write is there...
            Assert.Equal(Writer.Stored(version), await uow.ReadAsync("Patient", id, CancellationToken.None));
            Assert.Equal([id], (await uow.SearchAsync(ByCode("Patient", mrn), 10, CancellationToken.None)).Select(r => r.Id));

            // ...and outside it nothing is.
            Assert.Null(await _db.ResourceAsync("Patient", id));
            Assert.Empty(await _db.ChangeLogAsync("Patient", id));
            Assert.Equal(0, await _db.TokenCountAsync(mrn));
            Assert.Null(await _store.ReadAsync("Patient", id, CancellationToken.None));
            Assert.False(await _store.ExistsAsync("Patient", id, CancellationToken.None));
            Assert.Empty(await _store.SearchAsync(ByCode("Patient", mrn), 10, CancellationToken.None));

            await uow.CommitAsync(CancellationToken.None);
        }

        var row = await _db.ResourceAsync("Patient", id);
        Assert.NotNull(row);
        Assert.Equal((1, version.LastUpdated, false, version.Json), (row.Version, row.LastUpdated, row.Deleted, row.Body));
        var log = Assert.Single(await _db.ChangeLogAsync("Patient", id));
        Assert.Equal((1, "create", version.LastUpdated), (log.Version, log.Operation, log.ChangedAt));
        Assert.Equivalent(
            new[] { new TokenRow("identifier", null, mrn + "-nosys"), new TokenRow("identifier", "http://hospital.example.org/mrn", mrn) },
            await _db.TokensAsync("Patient", id),
            strict: true);
        Assert.Empty(await _db.HistoryAsync("Patient", id));
        Assert.Equal(Writer.Stored(version), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.True(await _store.ExistsAsync("Patient", id, CancellationToken.None));
    }

    [Fact]
    public async Task GivenUncommittedWrite_WhenDisposing_ThenNothingIsLeftInAnyTable()
    {
        var id = Writer.UniqueId("uow-rollback");
        var mrn = Writer.UniqueId("mrn");
        var version = _writer.Versions.Next(Writer.Patient(new Identifier("http://hospital.example.org/mrn", mrn)), id, previous: null);

        await using (var uow = await _store.BeginAsync(CancellationToken.None))
        {
            await uow.LockAsync("Patient/" + id, CancellationToken.None);
            await uow.WriteAsync(version, previous: null, CancellationToken.None);
            Assert.NotNull(await uow.ReadAsync("Patient", id, CancellationToken.None));
        }

        Assert.Null(await _db.ResourceAsync("Patient", id));
        Assert.Empty(await _db.ChangeLogAsync("Patient", id));
        Assert.Equal(0, await _db.TokenCountAsync(mrn));
        Assert.Equal(0L, (await _db.QueryAsync("SELECT count(*) FROM change_log WHERE fhir_id = $1", r => r.GetInt64(0), id)).Single());
        Assert.Equal(0L, await _db.OrphanIndexRowsAsync());
        Assert.False(await _store.ExistsAsync("Patient", id, CancellationToken.None));

        // The resource lock went with the transaction: the same id can now be written.
        var again = await _writer.PutAsync(Writer.Patient(new Identifier("http://hospital.example.org/mrn", mrn)), id);
        Assert.Equal(1, again.Version);
    }

    [Fact]
    public async Task GivenUncommittedUpdate_WhenDisposing_ThenTheCommittedVersionStaysAsItWas()
    {
        var id = Writer.UniqueId("uow-rollback-upd");
        var mrn = Writer.UniqueId("mrn");
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = mrn }), id);

        await using (var uow = await _store.BeginAsync(CancellationToken.None))
        {
            var current = await uow.ReadAsync("Patient", id, CancellationToken.None);
            await uow.WriteAsync(_writer.Versions.Next(Writer.Patient(new Identifier { Value = mrn + "-new" }), id, current), current, CancellationToken.None);
        }

        Assert.Equal(Writer.Stored(v1), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Empty(await _db.HistoryAsync("Patient", id));
        Assert.Equal(["create"], (await _db.ChangeLogAsync("Patient", id)).Select(c => c.Operation));
        Assert.Equal([new TokenRow("identifier", null, mrn)], await _db.TokensAsync("Patient", id));
        Assert.Equal(0, await _db.TokenCountAsync(mrn + "-new"));
    }

    [Fact]
    public async Task GivenExistingResource_WhenUpdating_ThenOldVersionMovesToHistoryTokensAreReplacedAndTheUpdateIsLogged()
    {
        var id = Writer.UniqueId("uow-update");
        var oldMrn = Writer.UniqueId("mrn-old");
        var newMrn = Writer.UniqueId("mrn-new");
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier("http://x.org/mrn", oldMrn)), id);

        var v2 = await _writer.PutAsync(Writer.Patient(new Identifier("http://x.org/mrn", newMrn), new Identifier { Value = newMrn }), id);

        Assert.Equal((2, ChangeOperation.Update), (v2.Version, v2.Operation));
        var row = await _db.ResourceAsync("Patient", id);
        Assert.Equal((2, v2.LastUpdated, false, v2.Json), (row!.Version, row.LastUpdated, row.Deleted, row.Body));
        Assert.Equal([new HistoryRow(1, v1.LastUpdated, false, v1.Json)], await _db.HistoryAsync("Patient", id));
        Assert.Equal(
            [(1, "create", v1.LastUpdated), (2, "update", v2.LastUpdated)],
            (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation, c.ChangedAt)));
        Assert.Equivalent(new[] { new TokenRow("identifier", null, newMrn), new TokenRow("identifier", "http://x.org/mrn", newMrn) }, await _db.TokensAsync("Patient", id), strict: true);
        Assert.Equal(0, await _db.TokenCountAsync(oldMrn));
        Assert.Empty(await _store.SearchAsync(ByCode("Patient", oldMrn), 10, CancellationToken.None));
        Assert.Equal([Writer.Stored(v2)], await _store.SearchAsync(ByCode("Patient", newMrn), 10, CancellationToken.None));
    }

    [Fact]
    public async Task GivenExistingResource_WhenDeleting_ThenADeletedCurrentRowWithoutBodyOrTokensAndTheHistoryKeepsTheBody()
    {
        var id = Writer.UniqueId("uow-delete");
        var mrn = Writer.UniqueId("mrn");
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = mrn }), id);

        var tombstone = await _writer.DeleteAsync("Patient", id);

        var row = await _db.ResourceAsync("Patient", id);
        Assert.Equal((2, tombstone.LastUpdated, true, (string?)null), (row!.Version, row.LastUpdated, row.Deleted, row.Body));
        Assert.Equal([new HistoryRow(1, v1.LastUpdated, false, v1.Json)], await _db.HistoryAsync("Patient", id));
        Assert.Equal(
            [(1, "create"), (2, "delete")],
            (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation)));
        Assert.Empty(await _db.TokensAsync("Patient", id));
        Assert.Equal(0, await _db.TokenCountAsync(mrn));
        Assert.Equal(new StoredResource("Patient", id, 2, tombstone.LastUpdated, true, null), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.True(await _store.ExistsAsync("Patient", id, CancellationToken.None));
        Assert.Empty(await _store.SearchAsync(ById("Patient", id), 10, CancellationToken.None));
    }

    [Fact]
    public async Task GivenDeletedResource_WhenWritingAgain_ThenItIsACreateThatContinuesTheVersionsAndIsSearchableAgain()
    {
        var id = Writer.UniqueId("uow-recreate");
        var mrn = Writer.UniqueId("mrn");
        await _writer.PutAsync(Writer.Patient(new Identifier { Value = mrn }), id);
        await _writer.DeleteAsync("Patient", id);

        var v3 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = mrn }), id);

        Assert.Equal(3, v3.Version);
        Assert.Equal(
            [(1, "create"), (2, "delete"), (3, "create")],
            (await _db.ChangeLogAsync("Patient", id)).Select(c => (c.Version, c.Operation)));
        Assert.Equal([(1, false), (2, true)], (await _db.HistoryAsync("Patient", id)).Select(h => (h.Version, h.Deleted)));
        Assert.Null((await _db.HistoryAsync("Patient", id))[1].Body);
        Assert.Equal([Writer.Stored(v3)], await _store.SearchAsync(ByCode("Patient", mrn), 10, CancellationToken.None));
    }

    [Fact]
    public async Task GivenSeveralVersions_WhenReadingEachVersion_ThenEveryVersionIsReturnedAsWritten()
    {
        var id = Writer.UniqueId("uow-vread");
        var v1 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = "v1-" + id }), id);
        var v2 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = "v2-" + id }), id);
        var v3 = await _writer.DeleteAsync("Patient", id);
        var v4 = await _writer.PutAsync(Writer.Patient(new Identifier { Value = "v4-" + id }), id);

        foreach (var v in new[] { v1, v2, v3, v4 })
        {
            Assert.Equal(Writer.Stored(v), await _store.ReadVersionAsync("Patient", id, v.Version, CancellationToken.None));
        }

        Assert.Null(await _store.ReadVersionAsync("Patient", id, 5, CancellationToken.None));
        Assert.Null(await _store.ReadVersionAsync("Patient", id, 0, CancellationToken.None));
        Assert.Null(await _store.ReadVersionAsync("Observation", id, 1, CancellationToken.None));
        Assert.Null(await _store.ReadVersionAsync("Patient", id + "-other", 1, CancellationToken.None));
        Assert.Contains("\"versionId\":\"2\"", (await _store.ReadVersionAsync("Patient", id, 2, CancellationToken.None))!.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GivenSameIdInTwoTypes_WhenWriting_ThenTheyAreSeparateResources()
    {
        var id = Writer.UniqueId("uow-types");
        var patient = await _writer.PutAsync(Writer.Patient(new Identifier { Value = id }), id);
        var observation = await _writer.PutAsync(
            new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Identifier = [new Identifier { Value = id }] }, id);

        Assert.Equal((1, 1), (patient.Version, observation.Version));
        Assert.Equal(Writer.Stored(patient), await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Equal(Writer.Stored(observation), await _store.ReadAsync("Observation", id, CancellationToken.None));
        Assert.Equal([Writer.Stored(observation)], await _store.SearchAsync(ByCode("Observation", id), 10, CancellationToken.None));
    }

    [Fact]
    public async Task GivenNeverWrittenResource_WhenReading_ThenNullAndNotExisting()
    {
        var id = Writer.UniqueId("uow-none");

        Assert.Null(await _store.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Null(await _store.ReadVersionAsync("Patient", id, 1, CancellationToken.None));
        Assert.False(await _store.ExistsAsync("Patient", id, CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GivenDisposedUnitOfWork_WhenDisposingAgain_ThenNothingHappens(bool commit)
    {
        var id = Writer.UniqueId("uow-dispose2");
        var version = _writer.Versions.Next(Writer.Patient(new Identifier { Value = id }), id, previous: null);
        var uow = await _store.BeginAsync(CancellationToken.None);
        await uow.WriteAsync(version, previous: null, CancellationToken.None);
        if (commit)
        {
            await uow.CommitAsync(CancellationToken.None);
        }

        await uow.DisposeAsync();
        await uow.DisposeAsync();

        Assert.Equal(commit ? Writer.Stored(version) : null, await _store.ReadAsync("Patient", id, CancellationToken.None));
    }

    [Fact]
    public async Task GivenDatabase_WhenCheckingAvailability_ThenTrue()
    {
        Assert.True(await _store.IsAvailableAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GivenUnreachableDatabase_WhenCheckingAvailability_ThenFalse()
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=postgres;Password=postgres;Timeout=5");

        Assert.False(await new PostgresResourceStore(dataSource).IsAvailableAsync(CancellationToken.None));
    }
}
