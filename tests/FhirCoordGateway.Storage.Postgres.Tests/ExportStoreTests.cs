using FhirCoordGateway.Core.Export;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Storage.Postgres.Tests.Support;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>Bulk export state on PostgreSQL: the request round-trips, files only while running, delete stops a run, a rerun starts over.</summary>
[Collection(PostgresCollection.Name)]
public class ExportStoreTests(PostgresFixture fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static ExportRequest Request() => new(
        ExportLevel.Group, "g-7f3a21", ["Patient", "Observation"], new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero), "https://gw.example/fhir/Group/g-7f3a21/$export",
        new ExportRequester([new SmartScope(ScopeContext.System, "*", ScopePermissions.Read | ScopePermissions.Search)], null, CallerRole.System, "client-7f3a21", "sub-1", null, false));

    [Fact]
    public async Task GivenExport_WhenRunAndCompleted_ThenRequestAndFilesComeBack()
    {
        var store = new PostgresExportStore(fixture.DataSource);
        var id = Guid.NewGuid();
        var time = new DateTimeOffset(2026, 11, 22, 23, 0, 0, 123, TimeSpan.Zero);
        await store.CreateAsync(id, Request(), time, None);

        var queued = (await store.GetAsync(id, None))!;
        var started = (await store.StartAsync(id, None))!;
        Assert.True(await store.AddFileAsync(id, new ExportFile(1, "Patient", 2, false), "{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\"}\n", None));
        Assert.True(await store.AddFileAsync(id, new ExportFile(2, "OperationOutcome", 1, true), "{\"resourceType\":\"OperationOutcome\"}\n", None));
        await store.CompleteAsync(id, None);
        var completed = (await store.GetAsync(id, None))!;

        Assert.Equal(ExportStatus.Queued, queued.Status);
        Assert.Equal(Request().Types, queued.Request.Types);
        Assert.Equal(Request().Since, queued.Request.Since);
        Assert.Equal("client-7f3a21", queued.Request.Requester!.Owner);
        Assert.Equal(Request().Requester!.Scopes, queued.Request.Requester.Scopes);
        Assert.Equal(time, queued.TransactionTime);
        Assert.Equal(ExportStatus.Running, started.Status);
        Assert.Equal(ExportStatus.Completed, completed.Status);
        Assert.Equal([new ExportFile(1, "Patient", 2, false), new ExportFile(2, "OperationOutcome", 1, true)], completed.Files);
        Assert.StartsWith("{\"resourceType\":\"Patient\"}\n", await store.ReadFileAsync(id, 1, None), StringComparison.Ordinal);
        Assert.Null(await store.StartAsync(id, None));   // a completed export does not run again
    }

    [Fact]
    public async Task GivenRunningExport_WhenDeleted_ThenFilesAreRefusedAndNothingRemains()
    {
        var store = new PostgresExportStore(fixture.DataSource);
        var id = Guid.NewGuid();
        await store.CreateAsync(id, Request(), DateTimeOffset.UtcNow, None);
        await store.StartAsync(id, None);
        Assert.True(await store.AddFileAsync(id, new ExportFile(1, "Patient", 1, false), "{}\n", None));

        Assert.True(await store.DeleteAsync(id, None));

        Assert.False(await store.AddFileAsync(id, new ExportFile(2, "Patient", 1, false), "{}\n", None));
        Assert.Null(await store.GetAsync(id, None));
        Assert.Null(await store.ReadFileAsync(id, 1, None));
        Assert.False(await store.DeleteAsync(id, None));
    }

    [Fact]
    public async Task GivenInterruptedRun_WhenStartedAgain_ThenEarlierFilesAreDropped()
    {
        var store = new PostgresExportStore(fixture.DataSource);
        var id = Guid.NewGuid();
        await store.CreateAsync(id, Request(), DateTimeOffset.UtcNow, None);
        await store.StartAsync(id, None);
        await store.AddFileAsync(id, new ExportFile(1, "Patient", 1, false), "{}\n", None);

        var rerun = await store.StartAsync(id, None);

        Assert.NotNull(rerun);
        Assert.Empty((await store.GetAsync(id, None))!.Files);
    }
}
