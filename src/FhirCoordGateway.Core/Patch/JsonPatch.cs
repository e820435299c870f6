using System.Text.Json;
using System.Text.Json.Nodes;
using FhirCoordGateway.Core.Outcomes;

namespace FhirCoordGateway.Core.Patch;

/// <summary>
/// JSON Patch (RFC 6902) over a resource's JSON: add, remove, replace, move, copy and test, with JSON
/// Pointers (RFC 6901). https://hl7.org/fhir/R4/http.html#patch
/// A document that is not an array of well-formed operations answers 400; an operation that cannot be
/// applied to this resource (missing path, failed test) answers 422.
/// </summary>
public static class JsonPatch
{
    public const string MediaType = "application/json-patch+json";

    /// <summary>Parses and checks the shape of a patch document (400 when malformed).</summary>
    public static JsonArray Parse(ReadOnlySpan<byte> body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw Malformed($"The JSON Patch is not valid JSON (line {e.LineNumber + 1}).");
        }

        if (node is not JsonArray operations)
        {
            throw Malformed("A JSON Patch is an array of operations.");
        }

        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op || Text(op, "op") is not { } name || Text(op, "path") is null)
            {
                throw Malformed($"Operation {i} needs \"op\" and \"path\" strings.");
            }

            switch (name)
            {
                case "add" or "replace" or "test" when !op.ContainsKey("value"):
                    throw Malformed($"Operation {i} ({name}) needs a \"value\".");
                case "move" or "copy" when Text(op, "from") is null:
                    throw Malformed($"Operation {i} ({name}) needs a \"from\" string.");
                case "add" or "remove" or "replace" or "move" or "copy" or "test":
                    break;
                default:
                    throw Malformed($"Operation {i} has an unknown op '{Short(name)}'.");
            }

            Pointer(Text(op, "path")!, i);
            if (Text(op, "from") is { } from)
            {
                Pointer(from, i);
            }
        }

        return operations;
    }

    /// <summary>Applies <paramref name="operations"/> to <paramref name="document"/>; returns the patched document.</summary>
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var root = new JsonObject { ["doc"] = document.DeepClone() };
        for (var i = 0; i < operations.Count; i++)
        {
            var op = (JsonObject)operations[i]!;
            var path = Pointer(Text(op, "path")!, i);
            switch (Text(op, "op"))
            {
                case "add":
                    Add(root, path, op["value"]?.DeepClone(), i);
                    break;
                case "remove":
                    Remove(root, path, i);
                    break;
                case "replace":
                    Remove(root, path, i);
                    Add(root, path, op["value"]?.DeepClone(), i);
                    break;
                case "move":
                    var from = Pointer(Text(op, "from")!, i);
                    if (path.Count > from.Count && path.Take(from.Count).SequenceEqual(from))
                    {
                        throw Unapplicable(i, "a value cannot be moved into itself.");
                    }

                    Add(root, path, Remove(root, from, i), i);
                    break;
                case "copy":
                    Add(root, path, Get(root, Pointer(Text(op, "from")!, i), i)?.DeepClone(), i);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path, i), op["value"]))
                    {
                        throw Unapplicable(i, $"test failed at {Text(op, "path")}.");
                    }

                    break;
            }
        }

        return root["doc"] ?? throw Unapplicable(operations.Count - 1, "the patch removes the whole resource.");
    }

    private static List<string> Pointer(string pointer, int index)
    {
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            throw Malformed($"Operation {index}: '{Short(pointer)}' is not a JSON Pointer (it starts with '/').");
        }

        // "/doc" prefix: the document itself sits under a wrapper, so that "" (the whole document) has a parent.
        var tokens = new List<string> { "doc" };
        tokens.AddRange(pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/").Replace("~0", "~")));
        return tokens;
    }

    private static JsonNode? Get(JsonNode root, List<string> path, int index)
    {
        JsonNode? node = root;
        for (var i = 0; i < path.Count; i++)
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(path[i], out var child) => child,
                JsonArray a when ArrayIndex(path[i], a.Count - 1) is { } n => a[n],
                _ => throw Unapplicable(index, $"the path /{string.Join('/', path.Skip(1))} does not exist."),
            };
            if (node is null && i < path.Count - 1)
            {
                throw Unapplicable(index, $"the path /{string.Join('/', path.Skip(1))} does not exist.");
            }
        }

        return node;
    }

    private static void Add(JsonNode root, List<string> path, JsonNode? value, int index)
    {
        var parent = Get(root, path[..^1], index);
        var last = path[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when ArrayIndex(last, a.Count) is { } n:
                a.Insert(n, value);
                break;
            default:
                throw Unapplicable(index, $"cannot add at /{string.Join('/', path.Skip(1))}.");
        }
    }

    private static JsonNode? Remove(JsonNode root, List<string> path, int index)
    {
        var parent = Get(root, path[..^1], index);
        var last = path[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var value):
                o.Remove(last);
                return value;
            case JsonArray a when ArrayIndex(last, a.Count - 1) is { } n:
                var item = a[n];
                a.RemoveAt(n);
                return item;
            default:
                throw Unapplicable(index, $"the path /{string.Join('/', path.Skip(1))} does not exist.");
        }
    }

    /// <summary>An RFC 6901 array index: digits without leading zeros, at most <paramref name="max"/>.</summary>
    private static int? ArrayIndex(string token, int max) =>
        token.Length > 0 && token.All(char.IsAsciiDigit) && (token == "0" || token[0] != '0')
        && int.TryParse(token, out var n) && n <= max ? n : null;

    private static string? Text(JsonObject op, string name) =>
        op[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Short(string text) => text.Length <= 60 ? text : text[..60] + "…";

    internal static FhirOutcomeException Malformed(string message) => FhirOutcomeException.Of(FailureKind.Invalid, message);

    private static FhirOutcomeException Unapplicable(int index, string message) =>
        FhirOutcomeException.Of(FailureKind.Unprocessable, $"JSON Patch operation {index} cannot be applied: {message}");
}
