using System.Globalization;
using System.Text;

namespace FhirCoordGateway.Core.Search;

/// <summary>
/// Case- and accent-insensitive form of string search values: NFKD, combining marks dropped, letters that
/// NFKD keeps whole mapped by hand, upper-cased, cut at 200 characters. The index and the search value go
/// through the same function. https://hl7.org/fhir/R4/search.html#string
/// </summary>
public static class StringFold
{
    public const int MaxLength = 200;

    public static string Fold(string value)
    {
        var decomposed = value.Normalize(NormalizationForm.FormKD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            switch (c)
            {
                case 'ß': sb.Append("SS"); break;
                case 'æ' or 'Æ': sb.Append("AE"); break;
                case 'œ' or 'Œ': sb.Append("OE"); break;
                case 'ø' or 'Ø': sb.Append('O'); break;
                case 'ł' or 'Ł': sb.Append('L'); break;
                case 'đ' or 'Đ': sb.Append('D'); break;
                default: sb.Append(char.ToUpperInvariant(c)); break;
            }

            if (sb.Length >= MaxLength)
            {
                break;
            }
        }

        return sb.Length > MaxLength ? sb.ToString(0, MaxLength) : sb.ToString();
    }
}
