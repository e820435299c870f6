using FhirCoordGateway.Storage.Postgres.Tests.Support;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>The attempt log: the last start of each piece of outbound work, kept across connections (and so across a crash).</summary>
[Collection(PostgresCollection.Name)]
public class AttemptLogTests(PostgresFixture fixture)
{
    private readonly PostgresAttemptLog _log = new(fixture.DataSource);

    [Fact]
    public async Task Nothing_is_known_of_work_never_attempted()
    {
        Assert.Null(await _log.LastStartedAsync(Writer.UniqueId("delivery/dlv-never"), CancellationToken.None));
    }

    [Fact]
    public async Task The_last_start_replaces_the_earlier_ones()
    {
        var key = Writer.UniqueId("delivery/dlv-7f3a21");
        await _log.StartAsync(key, fromVersion: 1, number: 1, CancellationToken.None);
        await _log.StartAsync(key, fromVersion: 2, number: 2, CancellationToken.None);

        var last = await _log.LastStartedAsync(key, CancellationToken.None);

        Assert.Equal(new Core.Storage.StartedAttempt(2, 2), last);
        Assert.Null(await _log.LastStartedAsync(Writer.UniqueId("delivery/dlv-other"), CancellationToken.None));
    }
}
