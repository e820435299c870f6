using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>The log events of one test's gateway (added to its services as an <see cref="ILogEventSink"/>).</summary>
public sealed class CollectingSink : ILogEventSink
{
    public ConcurrentBag<LogEvent> Events { get; } = [];

    public void Emit(LogEvent logEvent) => Events.Add(logEvent);
}
