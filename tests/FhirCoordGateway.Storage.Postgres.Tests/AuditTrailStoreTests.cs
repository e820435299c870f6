using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security.Audit;
using FhirCoordGateway.Storage.Postgres.Search;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// The audit trail's table (ADR 0016) through the stores' ports: AuditEvents appended in a unit of work appear with
/// it and only with it, are read back by id as version 1, and are searched by each supported parameter with paging,
/// date sort, totals and the caller's restriction; unsupported parameters answer 400.
/// </summary>
[Collection(PostgresCollection.Name)]
public class AuditTrailStoreTests(PostgresFixture fixture)
{
    private const string Rest = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    private const string Interactions = "http://hl7.org/fhir/restful-interaction";
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SearchQueryParser Parser = new(Catalog);
    private readonly PostgresSearchStore _search = new(fixture.DataSource, Catalog);

    private static AuditEvent Audit(string subtype, DateTimeOffset recorded, string altId, params string[] entities) => new()
    {
        Type = new Coding(Rest, "rest"),
        Subtype = [new Coding(Interactions, subtype)],
        Action = subtype == "create" ? AuditEvent.AuditEventAction.C : AuditEvent.AuditEventAction.R,
        Recorded = recorded,
        Outcome = subtype == "delete" ? AuditEvent.AuditEventOutcome.N4 : AuditEvent.AuditEventOutcome.N0,
        Agent = [new AuditEvent.AgentComponent { Requestor = true, AltId = altId, Who = new ResourceReference("Practitioner/" + altId) }],
        Source = new AuditEvent.SourceComponent { Observer = new ResourceReference { Display = "test" } },
        Entity = [.. entities.Select(e => new AuditEvent.EntityComponent { What = new ResourceReference(e) })],
    };

    /// <summary>An AuditEvent of any content as the trail stores it (the factory writes only the gateway's own shapes).</summary>
    private static AuditEntry Entry(AuditEvent audit) => new(
        audit.Recorded!.Value,
        $"{audit.Type.System}|{audit.Type.Code}",
        [.. audit.Subtype.Select(s => $"{s.System}|{s.Code}")],
        audit.Action?.GetLiteral(),
        audit.Outcome?.GetLiteral(),
        AuditEntry.KeysOf(
            audit.Entity.Select(e => e.What?.Reference).OfType<string>(),
            audit.Agent.Select(a => a.Who?.Reference).OfType<string>(),
            audit.Agent.Select(a => a.AltId).OfType<string>()),
        ResourceJson.Serialize(audit));

    private async Task RecordAsync(params AuditEvent[] audits)
    {
        await using var uow = await fixture.Store.BeginAsync(CancellationToken.None);
        await uow.RecordAuditAsync([.. audits.Select(Entry)], CancellationToken.None);
        await uow.CommitAsync(CancellationToken.None);
    }

    private Task<SearchPage> SearchAsync(string parameters, int count = 50, PageCursor? after = null, TotalMode total = TotalMode.Default, SearchRestriction? restriction = null)
    {
        var pairs = parameters.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));
        var query = Parser.Parse("AuditEvent", pairs, strict: true) with { Restriction = restriction };
        return _search.SearchAsync(query, new SearchPaging(count, after, total, 100), CancellationToken.None);
    }

    private static List<string?> Subtypes(SearchPage page) => [.. page.Matches.Select(m => ((AuditEvent)ResourceJson.Parse(m.Json!)).Subtype[0].Code)];

    [Fact]
    public async Task GivenAuditEventsRecordedInAUnitOfWork_WhenCommittedOrNot_ThenTheyAppearWithItOnly()
    {
        var patient = Writer.UniqueId("audit-uow");
        await using (var rolledBack = await fixture.Store.BeginAsync(CancellationToken.None))
        {
            await rolledBack.RecordAuditAsync([Entry(Audit("read", DateTimeOffset.UtcNow, "rolled-back", $"Patient/{patient}"))], CancellationToken.None);
        }

        Assert.Empty((await SearchAsync($"entity=Patient/{patient}")).Matches);

        await RecordAsync(Audit("read", DateTimeOffset.UtcNow, "kept", $"Patient/{patient}"));

        var stored = Assert.Single((await SearchAsync($"entity=Patient/{patient}")).Matches);
        var read = await fixture.Store.ReadAsync("AuditEvent", stored.Id, CancellationToken.None);
        Assert.Equal(stored, read);
        Assert.Equal(stored, await fixture.Store.ReadVersionAsync("AuditEvent", stored.Id, 1, CancellationToken.None));
        Assert.Null(await fixture.Store.ReadVersionAsync("AuditEvent", stored.Id, 2, CancellationToken.None));
        Assert.True(await fixture.Store.ExistsAsync("AuditEvent", stored.Id, CancellationToken.None));
        Assert.Null(await fixture.Store.ReadAsync("AuditEvent", "not-a-number", CancellationToken.None));
        var audit = (AuditEvent)ResourceJson.Parse(read!.Json!);
        Assert.Equal((stored.Id, "1", "kept", $"Patient/{patient}"), (audit.Id, audit.Meta!.VersionId, audit.Agent[0].AltId, audit.Entity[0].What!.Reference));
        Assert.Equal(read.LastUpdated.ToUnixTimeMilliseconds(), audit.Meta.LastUpdated!.Value.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task GivenAuditEvents_WhenSearchedByEachParameter_ThenOnlyTheMatchingOnesAreFound()
    {
        var patient = "Patient/" + Writer.UniqueId("audit-p");
        var other = "Patient/" + Writer.UniqueId("audit-q");
        var task = "Task/" + Writer.UniqueId("audit-t");
        var user = Writer.UniqueId("user");
        var t0 = DateTimeOffset.Parse("2031-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        await RecordAsync(
            Audit("read", t0, user, patient),
            Audit("create", t0.AddHours(1), user, task, other),
            Audit("delete", t0.AddDays(1), Writer.UniqueId("other-user"), patient));
        var mine = $"agent=Practitioner/{user}";

        Assert.Equal(["read", "delete"], Subtypes(await SearchAsync($"entity={patient}")));
        Assert.Equal(["read", "delete"], Subtypes(await SearchAsync($"patient={patient}")));
        Assert.Equal(["create"], Subtypes(await SearchAsync($"patient={other}")));
        Assert.Equal(["create"], Subtypes(await SearchAsync($"entity={task}")));
        Assert.Equal(["read", "create"], Subtypes(await SearchAsync(mine)));
        Assert.Equal(["read", "create"], Subtypes(await SearchAsync($"altid={user}")));
        Assert.Equal(["create"], Subtypes(await SearchAsync($"{mine}&action=C")));
        Assert.Equal(["delete"], Subtypes(await SearchAsync($"entity={patient}&outcome=4")));
        Assert.Equal(["read"], Subtypes(await SearchAsync($"entity={patient}&outcome:not=4")));
        Assert.Equal(["read", "create"], Subtypes(await SearchAsync($"{mine}&type={Rest}|rest")));
        Assert.Equal(["read", "create"], Subtypes(await SearchAsync($"{mine}&type=rest")));
        Assert.Empty((await SearchAsync($"{mine}&type=http://other.example|rest")).Matches);
        Assert.Equal(["create"], Subtypes(await SearchAsync($"{mine}&subtype={Interactions}|create")));
        Assert.Equal(["read"], Subtypes(await SearchAsync($"{mine}&subtype=read")));
        Assert.Equal(["read"], Subtypes(await SearchAsync($"{mine}&date=2031-03-01T10:00:00Z")));
        Assert.Equal(["create"], Subtypes(await SearchAsync($"{mine}&date=gt2031-03-01T10:00:00Z")));
        Assert.Equal(["read", "delete"], Subtypes(await SearchAsync($"entity={patient}&_lastUpdated=ge2031-03-01")));
        Assert.Equal(["delete"], Subtypes(await SearchAsync($"entity={patient}&date=2031-03-02")));

        var first = (await SearchAsync($"entity={patient}")).Matches[0];
        Assert.Equal(["read"], Subtypes(await SearchAsync($"_id={first.Id}")));
    }

    [Fact]
    public async Task GivenManyAuditEvents_WhenPagedByDateDescending_ThenEveryOneComesOnceNewestFirstWithTheTotal()
    {
        var patient = "Patient/" + Writer.UniqueId("audit-page");
        var t0 = DateTimeOffset.UtcNow;
        // Two share a date: the sequence decides between them.
        var recorded = new[] { t0, t0.AddSeconds(3), t0.AddSeconds(1), t0.AddSeconds(1), t0.AddSeconds(2) };
        await RecordAsync([.. recorded.Select((r, i) => Audit("read", r, "pager-" + i, patient))]);

        var seen = new List<string?>();
        PageCursor? after = null;
        var pages = 0;
        do
        {
            var page = await SearchAsync($"entity={patient}&_sort=-date", count: 2, after: after, total: TotalMode.Accurate);
            Assert.Equal(5, page.Total);
            seen.AddRange(page.Matches.Select(m => ((AuditEvent)ResourceJson.Parse(m.Json!)).Agent[0].AltId));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(3, pages);
        Assert.Equal(["pager-1", "pager-4", "pager-2", "pager-3", "pager-0"], seen);
        Assert.Equal(["pager-0", "pager-1", "pager-2", "pager-3", "pager-4"], (await SearchAsync($"entity={patient}")).Matches.Select(m => ((AuditEvent)ResourceJson.Parse(m.Json!)).Agent[0].AltId));
    }

    [Fact]
    public async Task GivenARestriction_WhenSearching_ThenOnlyTheCallersPatientsAuditEventsComeAndUncheckableAlternativesGrantNothing()
    {
        var mine = Writer.UniqueId("audit-mine");
        var theirs = Writer.UniqueId("audit-theirs");
        var user = Writer.UniqueId("audit-r");
        await RecordAsync(Audit("read", DateTimeOffset.UtcNow, user, "Patient/" + mine), Audit("read", DateTimeOffset.UtcNow, user, "Patient/" + theirs));
        var byUser = $"altid={user}";
        Assert.Equal(2, (await SearchAsync(byUser)).Matches.Count);

        var compartment = SearchRestriction.Compartment("Patient", mine).WithoutSecurityLabel("http://labels.example", "MASQUE_PS");
        var restricted = Assert.Single((await SearchAsync(byUser, restriction: compartment)).Matches);
        Assert.Equal("Patient/" + mine, ((AuditEvent)ResourceJson.Parse(restricted.Json!)).Entity[0].What!.Reference);

        // An alternative on a parameter AuditEvents lack matches nothing; one they satisfy lets them through.
        var uncheckable = new AnyOfCriterion([[new ReferenceCriterion("author", [new ReferenceValue("Practitioner", "x", null)])]]);
        Assert.Empty((await SearchAsync(byUser, restriction: SearchRestriction.AllTypes.And(uncheckable))).Matches);
        var either = new AnyOfCriterion([[new ReferenceCriterion("author", [new ReferenceValue("Practitioner", "x", null)])], [new CompartmentCriterion("Patient", theirs)]]);
        Assert.Single((await SearchAsync(byUser, restriction: SearchRestriction.AllTypes.And(either))).Matches);

        var otherTypesOnly = new SearchRestriction(new Dictionary<string, IReadOnlyList<SearchCriterion>> { ["Patient"] = [] }, OtherTypesAllowed: false);
        Assert.Empty((await SearchAsync(byUser, restriction: otherTypesOnly)).Matches);
    }

    [Theory]
    [InlineData("entity-name=x", "entity-name")]
    [InlineData("_sort=type", "_sort")]
    [InlineData("_include=AuditEvent:entity", "_include")]
    public async Task GivenAnUnsupportedSearchFeature_WhenSearchingAuditEvents_ThenA400NamesIt(string parameters, string expression)
    {
        var e = await Assert.ThrowsAsync<FhirOutcomeException>(() => SearchAsync(parameters));

        Assert.Equal(FailureKind.Invalid, e.Kind);
        Assert.Equal(expression, Assert.Single(e.Outcome.Issue).Expression.Single());
    }

    [Fact]
    public async Task GivenAnotherTypesSearch_WhenItWouldReachAuditEvents_ThenA400SaysSearchThemOnTheirOwn()
    {
        var revinclude = Parser.Parse("Patient", [KeyValuePair.Create("_revinclude", "AuditEvent:entity")], strict: true);
        var mixed = Parser.ParseSystem([KeyValuePair.Create("_type", "AuditEvent,Patient")], strict: true);

        foreach (var query in new[] { revinclude, mixed })
        {
            var e = await Assert.ThrowsAsync<FhirOutcomeException>(() => _search.SearchAsync(query, new SearchPaging(10, null, TotalMode.Default, 100), CancellationToken.None));
            Assert.Equal(FailureKind.Invalid, e.Kind);
        }
    }

    [Fact]
    public async Task GivenAuditEventsStoredAsResourcesBeforeMigration9_WhenMigrating_ThenTheyMoveToTheAuditTrailSearchable()
    {
        await using var db = await TempDatabase.CreateAsync(fixture.ConnectionString);
        var dataSource = db.NewDataSource();
        var before = MigrationRunner.Scripts().Where(s => s.Version < 9).ToList();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var init = new NpgsqlCommand(
                "CREATE TABLE schema_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
                + string.Concat(before.Select(s => s.Sql + $";\nINSERT INTO schema_migration (version, name) VALUES ({s.Version}, '{s.Name}');\n")),
                connection);
            await init.ExecuteNonQueryAsync();
            var old = Audit("read", DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture), "old-user", "Patient/old-p");
            old.Id = "old-audit";
            old.Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow };
            await using var insert = new NpgsqlCommand(
                "WITH r AS (INSERT INTO resource (res_type, fhir_id, version, last_updated, deleted, body) VALUES ('AuditEvent', 'old-audit', 1, now(), false, $1) RETURNING res_id) "
                + "INSERT INTO change_log (res_id, res_type, fhir_id, version, operation, changed_at) SELECT res_id, 'AuditEvent', 'old-audit', 1, 'create', now() FROM r",
                connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = ResourceJson.Serialize(old) });
            await insert.ExecuteNonQueryAsync();
        }

        await new MigrationRunner(dataSource, new CapturingLogger<MigrationRunner>()).RunAsync(CancellationToken.None);

        await using (var left = dataSource.CreateCommand("SELECT (SELECT count(*) FROM resource) + (SELECT count(*) FROM change_log)"))
        {
            Assert.Equal(0L, await left.ExecuteScalarAsync());
        }

        var search = new PostgresSearchStore(dataSource, Catalog);
        var query = Parser.Parse("AuditEvent", [KeyValuePair.Create("patient", "Patient/old-p"), KeyValuePair.Create("altid", "old-user"), KeyValuePair.Create("subtype", "read")], strict: true);
        var moved = Assert.Single((await search.SearchAsync(query, new SearchPaging(10, null, TotalMode.Default, 100), CancellationToken.None)).Matches);
        var audit = (AuditEvent)ResourceJson.Parse(moved.Json!);
        Assert.Equal(("Patient/old-p", "old-user", moved.Id), (audit.Entity[0].What!.Reference, audit.Agent[0].AltId, audit.Id));
        Assert.StartsWith(AuditEntry.JsonStart, moved.Json, StringComparison.Ordinal);
    }

    private static void Unexpected(Exception e) => throw new InvalidOperationException("An append failed.", e);

    private static AuditRecord Read(string patient) =>
        new(null, new Core.Security.FhirRequestContext(Core.Security.FhirInteraction.Read, "Patient", patient), 200, [$"Patient/{patient}"], Writer.UniqueId("corr"));

    [Fact]
    public async Task GivenTheRecorder_WhenRequestsWaitOrNot_ThenWaitersSeeTheirCommitAndTheOthersShareOneStatement()
    {
        var recorder = new AuditRecorder(new AuditEventFactory(TimeProvider.System), new AuditTrailOptions { FlushInterval = TimeSpan.FromSeconds(1) });
        using var stop = new CancellationTokenSource();
        var draining = recorder.DrainAsync(fixture.Store, Unexpected, stop.Token);
        var waited = Writer.UniqueId("audit-wait");
        var queued = Writer.UniqueId("audit-queued");

        await recorder.RecordAsync(Read(waited), untilCommitted: true);
        Assert.Single((await SearchAsync($"entity=Patient/{waited}")).Matches);

        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => recorder.RecordAsync(Read(queued), untilCommitted: false)));
        await Wait.UntilAsync(async () => (await SearchAsync($"entity=Patient/{queued}", count: 100)).Matches.Count == 50, "the 50 queued AuditEvents");
        await using (var cmd = fixture.DataSource.CreateCommand("SELECT count(DISTINCT xmin::text) FROM audit_event WHERE refs @> ARRAY[$1]"))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = $"entity:Patient/{queued}" });
            Assert.Equal(1L, await cmd.ExecuteScalarAsync()); // appended by one statement
        }

        recorder.Complete();
        await draining.WaitAsync(Wait.Guard);
    }

    [Fact]
    public async Task GivenAFullQueue_WhenAnotherRequestIsAudited_ThenItWaitsForRoomInsteadOfDroppingIt()
    {
        var recorder = new AuditRecorder(new AuditEventFactory(TimeProvider.System), new AuditTrailOptions { QueueCapacity = 2, FlushInterval = TimeSpan.Zero });
        var patient = Writer.UniqueId("audit-full");
        await recorder.RecordAsync(Read(patient), untilCommitted: false);
        await recorder.RecordAsync(Read(patient), untilCommitted: false);

        var third = recorder.RecordAsync(Read(patient), untilCommitted: false);
        await Task.Delay(200);
        Assert.False(third.IsCompleted);

        var draining = recorder.DrainAsync(fixture.Store, Unexpected, CancellationToken.None);
        await third.WaitAsync(Wait.Guard);
        recorder.Complete();
        await draining.WaitAsync(Wait.Guard);
        Assert.Equal(3, (await SearchAsync($"entity=Patient/{patient}")).Matches.Count);
    }

    [Fact]
    public async Task GivenAppendsFailingWithAFullQueue_WhenTheDatabaseComesBack_ThenWaitersHaveFailedAndEveryOtherEventIsAppended()
    {
        // A database without the audit table: every append fails until it is migrated.
        await using var db = await TempDatabase.CreateAsync(fixture.ConnectionString);
        var dataSource = db.NewDataSource();
        var store = new PostgresResourceStore(dataSource);
        var recorder = new AuditRecorder(new AuditEventFactory(TimeProvider.System), new AuditTrailOptions { QueueCapacity = 2, FlushInterval = TimeSpan.Zero });
        var failures = 0;
        var draining = Task.WhenAll(Enumerable.Range(0, AuditRecorder.Writers)
            .Select(_ => recorder.DrainAsync(store, _ => Interlocked.Increment(ref failures), CancellationToken.None)));
        var patient = Writer.UniqueId("audit-outage");

        await Assert.ThrowsAnyAsync<Exception>(() => recorder.RecordAsync(Read(patient), untilCommitted: true).WaitAsync(Wait.Guard));
        var queued = Enumerable.Range(0, 6).Select(_ => recorder.RecordAsync(Read(patient), untilCommitted: false)).ToList();
        await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref failures) >= 3), "appends failing while the queue fills");

        await new MigrationRunner(dataSource, new CapturingLogger<MigrationRunner>()).RunAsync(CancellationToken.None);
        await Task.WhenAll(queued).WaitAsync(Wait.Guard);
        recorder.Complete();
        await draining.WaitAsync(Wait.Guard);

        var search = new PostgresSearchStore(dataSource, Catalog);
        var query = Parser.Parse("AuditEvent", [KeyValuePair.Create("entity", $"Patient/{patient}")], strict: true);
        Assert.Equal(6, (await search.SearchAsync(query, new SearchPaging(100, null, TotalMode.Default, 100), CancellationToken.None)).Matches.Count);
    }
}
