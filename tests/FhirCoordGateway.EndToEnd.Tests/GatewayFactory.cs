using Hl7.Fhir.Rest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FhirCoordGateway.EndToEnd.Tests;

/// <summary>
/// The whole gateway in process (real middleware, real PostgreSQL from FHIRCOORD_TEST_PG), driven through
/// the SDK's FhirClient over the test server's handler.
/// </summary>
public class GatewayFactory : WebApplicationFactory<Program>
{
    /// <summary>Small enough to test 413 without megabytes of test data.</summary>
    public const int MaxBodyBytes = 200_000;

    private readonly Action<IServiceCollection>? _services;
    private readonly IReadOnlyDictionary<string, string> _settings = new Dictionary<string, string>();

    public GatewayFactory()
    {
    }

    private GatewayFactory(Action<IServiceCollection>? services, IReadOnlyDictionary<string, string>? settings)
    {
        _services = services;
        _settings = settings ?? _settings;
    }

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("FHIRCOORD_TEST_PG") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "FHIRCOORD_TEST_PG is not set. Run the tests with scripts/test.sh, which starts PostgreSQL and sets it.");

    /// <summary>A separate gateway whose services are overridden (e.g. a test authorizer).</summary>
    public static GatewayFactory With(Action<IServiceCollection> services) => new(services, null);

    /// <summary>A separate gateway with extra configuration settings.</summary>
    public static GatewayFactory WithSettings(IReadOnlyDictionary<string, string> settings) => new(null, settings);

    public FhirClient Fhir(ResourceFormat format = ResourceFormat.Json) =>
        new(new Uri(Server.BaseAddress, "fhir"), CreateClient(), new FhirClientSettings { PreferredFormat = format });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Fhir", ConnectionString);
        builder.UseSetting("Fhir:MaxRequestBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "gateway";
}
