using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>The change log read as an outbox: commit-safe order, no rolled-back entries, saved positions, one leader.</summary>
[Collection(PostgresCollection.Name)]
public class ChangeFeedTests(PostgresFixture fixture)
{
    private readonly PostgresChangeFeed _feed = new(fixture.DataSource);
    private readonly Writer _writer = new(fixture.Store);

    [Fact]
    public async Task An_entry_is_withheld_while_an_earlier_transaction_runs_then_both_come_in_transaction_order()
    {
        var consumer = await FreshConsumerAsync();
        var slowId = Writer.UniqueId("feed-slow");
        var fastId = Writer.UniqueId("feed-fast");

        await using (var slow = await fixture.Store.BeginAsync(CancellationToken.None))
        {
            await slow.WriteAsync(_writer.Versions.Next(Writer.Patient(), slowId, previous: null), previous: null, CancellationToken.None);
            await _writer.PutAsync(Writer.Patient(), fastId);

            // The fast write committed, but an earlier transaction could still add an entry before it.
            Assert.DoesNotContain(await ReadAllAsync(consumer), e => e.Id == fastId || e.Id == slowId);
            await slow.CommitAsync(CancellationToken.None);
        }

        var entries = await WaitForAsync(consumer, slowId, fastId);
        Assert.True(entries.FindIndex(e => e.Id == slowId) < entries.FindIndex(e => e.Id == fastId));
        Assert.Equal(ChangeOperation.Create, entries.Single(e => e.Id == slowId).Operation);
    }

    [Fact]
    public async Task A_rolled_back_write_never_appears()
    {
        var consumer = await FreshConsumerAsync();
        var rolledBack = Writer.UniqueId("feed-rollback");
        var committed = Writer.UniqueId("feed-commit");
        await using (var uow = await fixture.Store.BeginAsync(CancellationToken.None))
        {
            await uow.WriteAsync(_writer.Versions.Next(Writer.Patient(), rolledBack, previous: null), previous: null, CancellationToken.None);
        }

        await _writer.PutAsync(Writer.Patient(), committed);

        var entries = await WaitForAsync(consumer, committed);
        Assert.DoesNotContain(entries, e => e.Id == rolledBack);
    }

    [Fact]
    public async Task A_saved_position_is_where_the_next_read_starts()
    {
        var consumer = await FreshConsumerAsync();
        var first = Writer.UniqueId("feed-first");
        var second = Writer.UniqueId("feed-second");
        await _writer.PutAsync(Writer.Patient(), first);
        var upToFirst = await WaitForAsync(consumer, first);
        await _feed.SaveAsync(consumer, upToFirst.Single(e => e.Id == first).Position, CancellationToken.None);
        await _writer.PutAsync(Writer.Patient(), second);

        var next = await WaitForAsync(consumer, second);

        Assert.DoesNotContain(next, e => e.Id == first);
    }

    [Fact]
    public async Task Only_one_node_leads_a_consumer_until_it_lets_go()
    {
        var consumer = Writer.UniqueId("lead");
        var leader = await _feed.TryLeadAsync(consumer, CancellationToken.None);
        Assert.NotNull(leader);
        Assert.Null(await _feed.TryLeadAsync(consumer, CancellationToken.None));

        await leader.DisposeAsync();

        await using var next = await _feed.TryLeadAsync(consumer, CancellationToken.None);
        Assert.NotNull(next);
    }

    /// <summary>A consumer positioned after everything already in the log (other tests write to the same database).</summary>
    private async Task<string> FreshConsumerAsync()
    {
        var consumer = Writer.UniqueId("consumer");
        for (var batch = await _feed.ReadAsync(consumer, 5000, CancellationToken.None); batch.Count > 0; batch = await _feed.ReadAsync(consumer, 5000, CancellationToken.None))
        {
            await _feed.SaveAsync(consumer, batch[^1].Position, CancellationToken.None);
        }

        return consumer;
    }

    private async Task<List<ChangeEntry>> ReadAllAsync(string consumer) => [.. await _feed.ReadAsync(consumer, 100_000, CancellationToken.None)];

    private async Task<List<ChangeEntry>> WaitForAsync(string consumer, params string[] ids)
    {
        List<ChangeEntry> entries = [];
        await Wait.UntilAsync(async () =>
        {
            entries = await ReadAllAsync(consumer);
            return ids.All(id => entries.Any(e => e.Id == id));
        }, $"change-feed entries for {string.Join(", ", ids)}");
        return entries;
    }
}
