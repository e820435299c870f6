namespace FhirCoordGateway.Core.Transactions;

/// <summary>The query part of a URL inside a bundle (request.url, ifNoneExist, conditional references) as pairs.</summary>
public static class QueryText
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string? query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in (query ?? string.Empty).TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? string.Empty : part[(eq + 1)..];
            pairs.Add(new(Unescape(name), Unescape(value)));
        }

        return pairs;
    }

    private static string Unescape(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
