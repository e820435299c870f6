namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// <c>{type:fhirtype}</c>: a segment that looks like a resource type name (an upper-case letter, then letters),
/// so that <c>metadata</c>, <c>_history</c> and operations never reach the type endpoints. Unknown but
/// well-formed names still do, and answer "resource type not supported".
/// </summary>
public sealed class ResourceTypeRouteConstraint : IRouteConstraint
{
    public const string Name = "fhirtype";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string { Length: > 0 } text
        && char.IsAsciiLetterUpper(text[0]) && text.All(char.IsAsciiLetter);
}
