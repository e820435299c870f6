using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Storage.Postgres.Search;
using FhirCoordGateway.Storage.Postgres.Tests.Support;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests;

/// <summary>
/// Searches by one identifier or one id run on the generic-plan pool: its sessions really force generic plans,
/// and answers (repeated past the auto-prepare threshold, so the cached generic plan is used) equal the main pool's.
/// </summary>
[Collection(PostgresCollection.Name)]
public class GenericPlanSearchTests(PostgresFixture fixture)
{
    private static readonly SearchParameterCatalog Catalog = new();
    private static readonly SearchQueryParser Parser = new(Catalog);

    [Fact]
    public async Task GivenGenericPlanPool_WhenSearchingByIdentifierOrId_ThenSameMatchesAsTheMainPool()
    {
        await using var pool = GenericPlanDataSource.Create(ServiceCollectionExtensions.Builder(fixture.ConnectionString));
        await using (var cmd = pool.DataSource.CreateCommand("SHOW plan_cache_mode"))
        {
            Assert.Equal("force_generic_plan", await cmd.ExecuteScalarAsync());
        }

        var writer = new Writer(fixture.Store);
        var system = "urn:oid:1.2.250.1.213.1.4.8";
        var values = Enumerable.Range(0, 8).Select(_ => Writer.UniqueId("nir")).ToList();
        var ids = new List<string>();
        foreach (var value in values)
        {
            var id = Writer.UniqueId("patient");
            await writer.PutAsync(Writer.Patient(new Identifier(system, value)), id);
            ids.Add(id);
        }

        var generic = new PostgresSearchStore(fixture.DataSource, Catalog, pool);
        var main = new PostgresSearchStore(fixture.DataSource, Catalog);
        for (var i = 0; i < values.Count; i++)
        {
            foreach (var query in new[] { $"identifier={system}|{values[i]}", $"_id={ids[i]}" })
            {
                var parsed = Parser.Parse("Patient", [KeyValuePair.Create(query.Split('=', 2)[0], query.Split('=', 2)[1])], strict: true);
                var paging = new SearchPaging(20, null, TotalMode.Default, 10);
                var expected = (await main.SearchAsync(parsed, paging, CancellationToken.None)).Matches.Select(m => m.Id).ToList();
                Assert.Equal([ids[i]], expected);
                Assert.Equal(expected, (await generic.SearchAsync(parsed, paging, CancellationToken.None)).Matches.Select(m => m.Id));
            }
        }
    }
}
