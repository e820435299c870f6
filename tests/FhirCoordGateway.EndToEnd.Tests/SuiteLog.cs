using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// Every log event of every in-process gateway of the end-to-end run, as text (message, properties, exception), for
/// the log scan of issue 8 (<see cref="LogScanTests"/>). Each <see cref="GatewayFactory"/> adds it to its sinks.
/// </summary>
public sealed class SuiteLog : ILogEventSink
{
    public static readonly SuiteLog Instance = new();

    private readonly ConcurrentQueue<string> _events = new();

    private SuiteLog()
    {
    }

    public static string Text(LogEvent e) =>
        e.RenderMessage() + " " + string.Join(" ", e.Properties.Select(p => p.Key + "=" + p.Value)) + " " + e.Exception;

    public void Emit(LogEvent logEvent) => _events.Enqueue(Text(logEvent));

    public string AllText() => string.Join("\n", _events);
}
