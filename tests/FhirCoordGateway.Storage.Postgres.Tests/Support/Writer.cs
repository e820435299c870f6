using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Storage.Postgres.Tests.Support;

/// <summary>A clock that the test moves by hand.</summary>
public sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// Builds versions with the real <see cref="VersionFactory"/> and writes each in its own committed unit of
/// work, the way the handlers do (lock, read current, write, commit). The clock moves one millisecond per version (close to real time: other test projects share the database).
/// </summary>
public sealed class Writer(IResourceStore store)
{
    public ManualTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    public VersionFactory Versions => new(new NoProfileValidation(), new SearchIndexer(new SearchParameterCatalog()), Clock);

    public static string UniqueId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 17)];

    public static Patient Patient(params Identifier[] identifiers) => new() { Active = true, Identifier = [.. identifiers] };

    /// <summary>Writes the next version of <paramref name="resource"/> (create or update) and commits.</summary>
    public async Task<NewVersion> PutAsync(Resource resource, string id)
    {
        Clock.Now = Clock.Now.AddMilliseconds(1);
        await using var uow = await store.BeginAsync(CancellationToken.None);
        using (var guard = new CancellationTokenSource(Wait.Guard))
        {
            await uow.LockAsync($"{resource.TypeName}/{id}", guard.Token);
        }

        var current = await uow.ReadAsync(resource.TypeName, id, CancellationToken.None);
        var version = Versions.Next(resource, id, current);
        await uow.WriteAsync(version, current, CancellationToken.None);
        await uow.CommitAsync(CancellationToken.None);
        return version;
    }

    /// <summary>Writes a tombstone after the current version and commits.</summary>
    public async Task<NewVersion> DeleteAsync(string type, string id)
    {
        Clock.Now = Clock.Now.AddMilliseconds(1);
        await using var uow = await store.BeginAsync(CancellationToken.None);
        using (var guard = new CancellationTokenSource(Wait.Guard))
        {
            await uow.LockAsync($"{type}/{id}", guard.Token);
        }

        var current = await uow.ReadAsync(type, id, CancellationToken.None) ?? throw new InvalidOperationException($"{type}/{id} does not exist");
        var tombstone = Versions.Tombstone(current);
        await uow.WriteAsync(tombstone, current, CancellationToken.None);
        await uow.CommitAsync(CancellationToken.None);
        return tombstone;
    }

    public static StoredResource Stored(NewVersion v) =>
        new(v.ResourceType, v.Id, v.Version, v.LastUpdated, v.Operation == ChangeOperation.Delete, v.Json);
}
