using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

/// <summary>Keeps every log event's message and structured properties.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(string Message, IReadOnlyList<KeyValuePair<string, object?>> Properties)> Events { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Events.Enqueue((formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
}
