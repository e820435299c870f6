using System.Text;

namespace FhirCoordGateway.Core.Search;

/// <summary>Escaping rules of search values: <c>\,</c> <c>\|</c> <c>\$</c> <c>\\</c>. https://hl7.org/fhir/R4/search.html#escaping</summary>
internal static class SearchValues
{
    public static IReadOnlyList<string> SplitOr(string text)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == ',')
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    public static int IndexOfUnescaped(string text, char c)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == c)
            {
                return i;
            }
        }

        return -1;
    }

    public static string Unescape(string text)
    {
        if (!text.Contains('\\'))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
            }

            sb.Append(text[i]);
        }

        return sb.ToString();
    }
}
