using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Search.Parameters;

/// <summary>The one instance of each parameter-type class.</summary>
internal static class SearchParameterTypes
{
    private static readonly Dictionary<SearchParamType, SearchParameterType> ByType = new()
    {
        [SearchParamType.Token] = new TokenSearchParameter(),
        [SearchParamType.String] = new StringSearchParameter(),
        [SearchParamType.Date] = new DateSearchParameter(),
        [SearchParamType.Number] = new NumberSearchParameter(),
        [SearchParamType.Quantity] = new QuantitySearchParameter(),
        [SearchParamType.Uri] = new UriSearchParameter(),
        [SearchParamType.Reference] = new ReferenceSearchParameter(),
        [SearchParamType.Composite] = new CompositeSearchParameter(),
    };

    public static SearchParameterType? For(SearchParamType type) => ByType.GetValueOrDefault(type);

    public static SearchParamKind KindOf(SearchParamType type) => For(type)?.Kind ?? SearchParamKind.Token;
}
