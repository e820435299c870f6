using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Subscriptions;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// Backport subscription operations: <c>$status</c> (type and instance) and <c>$events</c>, by GET (query
/// parameters) or POST (a Parameters body). https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/operations.html
/// </summary>
public static class SubscriptionEndpoints
{
    public static void MapSubscriptionOperations(this RouteGroupBuilder fhir)
    {
        fhir.MapMethods("/Subscription/$status", ["GET", "POST"], TypeStatus).Is(FhirInteraction.Operation, "status", "Subscription");
        fhir.MapMethods("/Subscription/{id}/$status", ["GET", "POST"], InstanceStatus).Is(FhirInteraction.Operation, "status", "Subscription");
        fhir.MapMethods("/Subscription/{id}/$events", ["GET", "POST"], Events).Is(FhirInteraction.Operation, "events", "Subscription");
    }

    private static async Task TypeStatus(HttpContext http, SubscriptionOperations operations, FhirBodyReader reader)
    {
        var arguments = await ArgumentsAsync(http, reader);
        var ids = arguments.Where(a => a.Key == "id").SelectMany(a => a.Value.Split(',')).Select(i => i.Split('/')[^1]).ToList();
        var statuses = arguments.Where(a => a.Key == "status").SelectMany(a => a.Value.Split(',')).ToList();
        await FhirResponses.WriteAsync(http, 200, await operations.StatusAsync(ids, statuses, http.RequestAborted));
    }

    private static async Task InstanceStatus(HttpContext http, string id, SubscriptionOperations operations) =>
        await FhirResponses.WriteAsync(http, 200, await operations.StatusAsync([id], [], http.RequestAborted));

    private static async Task Events(HttpContext http, string id, SubscriptionOperations operations, FhirBodyReader reader, FhirBase fhirBase)
    {
        var arguments = await ArgumentsAsync(http, reader);
        var result = await operations.EventsAsync(
            new EventsQuery(fhirBase.Of(http.Request), id, Number(arguments, "eventsSinceNumber"), Number(arguments, "eventsUntilNumber"),
                arguments.LastOrDefault(a => a.Key == "content").Value, Number(arguments, "_count")),
            http.RequestAborted);
        await FhirResponses.WriteAsync(http, 200, result);
    }

    /// <summary>The operation's arguments: query parameters, plus a POSTed Parameters' primitive values.</summary>
    private static async Task<List<KeyValuePair<string, string>>> ArgumentsAsync(HttpContext http, FhirBodyReader reader)
    {
        var arguments = http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        if (HttpMethods.IsPost(http.Request.Method) && (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0))
        {
            if (await reader.ReadAsync(http.Request, http.RequestAborted) is not Parameters parameters)
            {
                throw FhirOutcomeException.Of(FailureKind.Invalid, "The body of a POSTed operation must be a Parameters resource.", "Parameters");
            }

            foreach (var p in parameters.Parameter)
            {
                if (p.Name is { } name && p.Value is PrimitiveType { JsonValue: { } value })
                {
                    arguments.Add(new(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
                }
            }
        }

        return arguments;
    }

    private static long? Number(List<KeyValuePair<string, string>> arguments, string name)
    {
        var text = arguments.LastOrDefault(a => a.Key == name).Value;
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw FhirOutcomeException.Of(FailureKind.Invalid, $"{name} must be a positive whole number.", name);
    }
}
