using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace FhirCoordGateway.Api.Hosting;

/// <summary>
/// Serilog set-up: console text by default, compact JSON with <c>Logging:Format=json</c>; levels from
/// the <c>Serilog</c> section. One request-log event per request, carrying ids, never bodies or query strings
/// (a query such as identifier=… can hold an INS).
/// </summary>
public static class GatewayLogging
{
    public static void AddGatewayLogging(this WebApplicationBuilder builder)
    {
        // preserveStaticLogger: this host's own logger binds the request-log properties, not the static Log.Logger,
        // which another host stopping in the same process (tests, benchmarks) replaces with a no-op
        // (Log.CloseAndFlush): properties set meanwhile were dropped from the request-log event.
        builder.Services.AddSerilog(Configure, preserveStaticLogger: true);

        void Configure(IServiceProvider services, LoggerConfiguration logger)
        {
            logger.ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (string.Equals(builder.Configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {CorrelationId}{NewLine}{Exception}");
            }
        }
    }

    public static void UseGatewayRequestLogging(this WebApplication app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
            // This host's logger, not the static one: several hosts in one process (tests) must not mix their events.
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            // ResourceType and Interaction are added by FhirAuthorizationFilter, where the route is known.
            options.EnrichDiagnosticContext = (diagnostics, http) => diagnostics.Set("CorrelationId", http.TraceIdentifier);
        });
}
