using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Delivery;

/// <summary>Reads what a local <c>Type/id</c> reference points to.</summary>
public static class StoreReferences
{
    /// <summary>The current version, or null for absolute, contained, deleted, missing or differently typed targets.</summary>
    public static async Task<T?> ReadReferenceAsync<T>(this IResourceStore store, string? reference, CancellationToken ct) where T : Resource
    {
        var parts = reference?.Split('/');
        if (parts is not { Length: 2 } || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return null;
        }

        return As<T>(await store.ReadAsync(parts[0], parts[1], ct));
    }

    /// <summary>The stored version as a resource of type <typeparamref name="T"/>, or null for a tombstone or another type.</summary>
    public static T? As<T>(StoredResource? stored) where T : Resource =>
        stored is { Deleted: false, Json: { } json } ? ResourceJson.Parse(json) as T : null;
}
