using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;

namespace FhirCoordGateway.Storage.Postgres.Search;

/// <summary>
/// The integer keys of the index: <c>sp_id</c> = XxHash32 of <c>Type.code</c>, and 64-bit XxHash3 keys of
/// (sp_id, parts…) for tokens, exact strings and units. Changing these functions means a full reindex.
/// </summary>
public static class SearchKeys
{
    private static readonly ConcurrentDictionary<string, int> ParamIds = new(StringComparer.Ordinal);

    public static int ParamId(string resourceType, string code) =>
        ParamIds.GetOrAdd(resourceType + "." + code, k => (int)XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(k)));

    public static long Hash(int paramId, string a) => Hash(paramId, a, null);

    public static long Hash(int paramId, string a, string? b)
    {
        var length = 4 + Encoding.UTF8.GetByteCount(a) + (b is null ? 0 : 1 + Encoding.UTF8.GetByteCount(b));
        Span<byte> buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        BitConverter.TryWriteBytes(buffer, paramId);
        var n = 4 + Encoding.UTF8.GetBytes(a, buffer[4..]);
        if (b is not null)
        {
            buffer[n++] = 0x1F; // unit separator: ("a|", "b") and ("a", "|b") differ
            Encoding.UTF8.GetBytes(b, buffer[n..]);
        }

        return (long)XxHash3.HashToUInt64(buffer);
    }

    /// <summary>Token keys of one value: system and code (system "" when absent), code alone, system alone.</summary>
    public static (long Sv, long V, long? S) Token(int paramId, string? system, string code) =>
        (Hash(paramId, system ?? "", code), Hash(paramId, code), system is null ? null : Hash(paramId, system));
}
