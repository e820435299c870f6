namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>Waits for background work (change feed, Hangfire jobs, other processes) to reach a state.</summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);

    /// <param name="state">Describes the state reached, for the failure message.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {Patience.TotalSeconds} s for {what}. {state?.Invoke()}");
            }

            await Task.Delay(100);
        }
    }
}
