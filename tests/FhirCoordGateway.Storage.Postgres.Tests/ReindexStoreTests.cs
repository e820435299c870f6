using FhirCoordGateway.Storage.Postgres.Search;
using FhirCoordGateway.Storage.Postgres.Tests.Support;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>The start-up comparison of custom search parameters that offers a $reindex.</summary>
[Collection(PostgresCollection.Name)]
public class ReindexStoreTests(PostgresFixture fixture)
{
    [Fact]
    public async Task GivenParameters_WhenRecordingTwiceAndChangingOne_ThenOnlyNewAndChangedAreReported()
    {
        var store = new PostgresReindexStore(fixture.DataSource);
        var a = "Patient." + Writer.UniqueId("a");
        var b = "CarePlan." + Writer.UniqueId("b");

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), await store.RecordParametersAsync(new Dictionary<string, string> { [a] = "token|x", [b] = "date|y" }, CancellationToken.None));
        Assert.Empty(await store.RecordParametersAsync(new Dictionary<string, string> { [a] = "token|x", [b] = "date|y" }, CancellationToken.None));
        Assert.Equal([b], await store.RecordParametersAsync(new Dictionary<string, string> { [a] = "token|x", [b] = "date|z" }, CancellationToken.None));
    }
}
