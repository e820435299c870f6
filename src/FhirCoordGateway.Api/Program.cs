using FhirCoordGateway.Api.Endpoints;
using FhirCoordGateway.Api.Hosting;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Api.Jobs;
using FhirCoordGateway.Api.Security;
using FhirCoordGateway.Api.Validation;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Storage.Postgres;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

if (args is [DevelopmentTokenCommand.Name, .. var tokenArgs])
{
    return DevelopmentTokenCommand.Run(WebApplication.CreateBuilder([]).Configuration, tokenArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayLogging();
var worker = WorkerMode.IsRequested(args);
if (worker)
{
    builder.Configuration["Jobs:RunServer"] = "true";
}

builder.AddGateway();

var app = builder.Build();
app.UseMiddleware<CorrelationIdMiddleware>();
app.UseGatewayRequestLogging();
app.UseGatewayAudit();
app.UseMiddleware<OutcomeMiddleware>();
app.UseStatusCodePages(EmptyErrorAnswers.WriteAsync);
app.UseGatewaySecurity();
if (!worker)
{
    app.MapFhir();
    app.MapJobsDashboard();
}

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

await app.Services.GetRequiredService<MigrationRunner>().RunAsync(app.Lifetime.ApplicationStopping);
await app.LoadConformanceResourcesAsync(app.Lifetime.ApplicationStopping);
await app.LoadStoredSearchParametersAsync(app.Lifetime.ApplicationStopping);
app.ScheduleRecurringJobs();
await app.RunAsync();
return 0;
