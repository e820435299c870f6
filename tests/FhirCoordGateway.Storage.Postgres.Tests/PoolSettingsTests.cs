using Npgsql;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>The settings every pool of the process gets (<see cref="ServiceCollectionExtensions.Builder"/>), Hangfire's included.</summary>
public class PoolSettingsTests
{
    private const string Plain = "Host=127.0.0.1;Port=55432;Database=fhircoord-7f3a21;Username=postgres";

    [Fact]
    public void GivenConnectionStringWithoutTheSettings_WhenBuildingAPool_ThenSessionsAreNotResetAndStatementsAutoPrepared()
    {
        var settings = ServiceCollectionExtensions.Builder(Plain).ConnectionStringBuilder;

        Assert.True(settings.NoResetOnClose);
        Assert.Equal(64, settings.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("No Reset On Close=false")]
    [InlineData("noresetonclose=False")]
    public void GivenConnectionStringThatSetsReset_WhenBuildingAPool_ThenItsChoiceIsKept(string setting)
    {
        var settings = ServiceCollectionExtensions.Builder($"{Plain};{setting}").ConnectionStringBuilder;

        Assert.False(settings.NoResetOnClose);
    }

    [Fact]
    public void GivenBuiltPool_WhenItsConnectionStringIsHandedOn_ThenTheSettingsTravelWithIt()
    {
        // Hangfire gets a connection string, not a data source (GatewayJobs).
        var handedOn = new NpgsqlConnectionStringBuilder(ServiceCollectionExtensions.Builder(Plain).ConnectionString);

        Assert.True(handedOn.NoResetOnClose);
        Assert.Equal(64, handedOn.MaxAutoPrepare);
    }
}
