using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Core.Subscriptions;
using FhirCoordGateway.Storage.Postgres.Tests.Support;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>The subscription tables: gapless numbering, idempotent replays, forward-only versions, one sender at a time.</summary>
[Collection(PostgresCollection.Name)]
public class SubscriptionStoreTests(PostgresFixture fixture)
{
    private readonly PostgresSubscriptionStore _store = new(fixture.DataSource);
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2026-03-04T05:06:07Z");

    private static NewSubscriptionEvent Event(string subscription, ulong txn, long seq) =>
        new(subscription, new ChangeFeedPosition(txn, seq), "CarePlan", "cp-" + seq, 2, ChangeOperation.Update, At);

    [Fact]
    public async Task GivenEvents_WhenAppendedTwice_ThenNumbersAreGaplessPerSubscriptionAndTheReplayAddsNothing()
    {
        var a = Writer.UniqueId("sub-a");
        var b = Writer.UniqueId("sub-b");
        await _store.SaveAsync(a, 1, "active", "{}", default);
        await _store.SaveAsync(b, 1, "active", "{}", default);
        List<NewSubscriptionEvent> batch = [Event(a, 10, 1), Event(b, 10, 1), Event(a, 11, 2), Event(a, ulong.MaxValue - 1, 3)];

        var first = await _store.AppendAsync(batch, default);
        var replay = await _store.AppendAsync(batch, default);

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), first.Order(StringComparer.Ordinal));
        Assert.Empty(replay);
        var events = await _store.ReadEventsAsync(a, 0, null, 10, default);
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.EventNumber));
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Change.Seq));
        Assert.Equal(ulong.MaxValue - 1, events[2].Change.Transaction);
        Assert.Equal(3, (await _store.GetAsync(a, default))!.EventsSinceStart);
        Assert.Equal([2L], (await _store.ReadEventsAsync(a, 1, 2, 10, default)).Select(e => e.EventNumber));
        Assert.Equal(1, (await _store.GetAsync(b, default))!.EventsSinceStart);
    }

    [Fact]
    public async Task GivenNewerVersionSaved_WhenAnOlderVersionIsSavedLater_ThenItIsIgnored()
    {
        var id = Writer.UniqueId("sub-ver");
        await _store.SaveAsync(id, 2, "active", "{\"v\":2}", default);

        await _store.SaveAsync(id, 1, "requested", "{\"v\":1}", default);

        var state = await _store.GetAsync(id, default);
        Assert.Equal((2, "active", "{\"v\":2}"), (state!.ResourceVersion, state.Status, state.Json));
    }

    [Fact]
    public async Task GivenFailures_WhenClientRequestsAgain_ThenFailuresAndRetryAreReset()
    {
        var id = Writer.UniqueId("sub-retry");
        await _store.SaveAsync(id, 1, "active", "{}", default);
        await _store.RecordAttemptAsync(new DeliveryAttempt(id, NotificationKind.EventNotification, 1, 2, At, 503, "HTTP 503", false, 12), null, 3, At.AddMinutes(5), null, default);

        var failed = await _store.GetAsync(id, default);
        await _store.SaveAsync(id, 2, "requested", "{}", default);
        var requested = await _store.GetAsync(id, default);

        Assert.Equal((3, At.AddMinutes(5), "HTTP 503"), (failed!.Failures, failed.RetryAt, failed.LastError));
        Assert.Equal((0, (DateTimeOffset?)null), (requested!.Failures, requested.RetryAt));
        var attempt = Assert.Single(await _store.ReadAttemptsAsync(id, 10, default));
        Assert.Equal((NotificationKind.EventNotification, 1L, 2L, 503, false), (attempt.Kind, attempt.FirstEvent, attempt.LastEvent, attempt.HttpStatus, attempt.Succeeded));
    }

    [Fact]
    public async Task GivenASuccessfulAttempt_WhenRecorded_ThenDeliveredThroughAndLastSentMoveForwardOnly()
    {
        var id = Writer.UniqueId("sub-ok");
        await _store.SaveAsync(id, 1, "active", "{}", default);

        await _store.RecordAttemptAsync(new DeliveryAttempt(id, NotificationKind.EventNotification, 1, 5, At, 200, null, true, 3), 5, 0, null, null, default);
        await _store.RecordAttemptAsync(new DeliveryAttempt(id, NotificationKind.Heartbeat, null, null, At.AddSeconds(1), 200, null, true, 3), null, 0, null, null, default);

        var state = await _store.GetAsync(id, default);
        Assert.Equal((5L, At.AddSeconds(1)), (state!.DeliveredThrough, state.LastSentAt));
    }

    [Fact]
    public async Task GivenTheWakeFlag_WhenRequestedTwice_ThenOnlyTheFirstCallerStartsAJob()
    {
        var id = Writer.UniqueId("sub-wake");
        await _store.SaveAsync(id, 1, "active", "{}", default);

        var other = Writer.UniqueId("sub-wake2");
        await _store.SaveAsync(other, 1, "active", "{}", default);

        Assert.Equal([id], await _store.RequestWakeAsync([id], default));
        Assert.Equal([other], await _store.RequestWakeAsync([id, other], default));
        Assert.Equal(id, (await _store.ClearWakeAsync(id, default))!.Id);
        Assert.Equal([id], await _store.RequestWakeAsync([id, other], default));
    }

    [Fact]
    public async Task GivenTheDeliveryLockHeld_WhenAnotherSenderAsks_ThenItWaitsAndGetsItOnlyAfterRelease()
    {
        var id = Writer.UniqueId("sub-lock");
        var first = await _store.LockAsync(id, TimeSpan.FromSeconds(1), default);

        var refused = await _store.LockAsync(id, TimeSpan.FromMilliseconds(200), default);
        var other = await _store.LockAsync(Writer.UniqueId("sub-other"), TimeSpan.FromMilliseconds(200), default);
        await first!.DisposeAsync();
        var second = await _store.LockAsync(id, TimeSpan.FromSeconds(1), default);

        Assert.NotNull(first);
        Assert.Null(refused);
        Assert.NotNull(other);
        Assert.NotNull(second);
        await other!.DisposeAsync();
        await second!.DisposeAsync();
    }
}
