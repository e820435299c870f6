using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

public static class Wait
{
    /// <summary>A guard against hangs only: it bounds how long a test may block, it measures nothing.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until true; fails the test after <see cref="Guard"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Gave up waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>True when a session named <paramref name="applicationName"/> waits for a lock of <paramref name="lockType"/> it has not been granted.</summary>
    public static async Task<bool> IsWaitingForLockAsync(NpgsqlDataSource observer, string applicationName, string lockType)
    {
        await using var cmd = observer.CreateCommand("""
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE a.application_name = $1 AND l.locktype = $2 AND NOT l.granted
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = applicationName });
        cmd.Parameters.Add(new NpgsqlParameter { Value = lockType });
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }
}
