using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Delivery.Jobs;
using FhirCoordGateway.Delivery.Tracking;

namespace FhirCoordGateway.Api.Endpoints;

/// <summary>
/// Operations on document deliveries (issue 6). A delivery is a Task (docs/adr/0008), so reading and searching
/// them is plain FHIR (<c>Task?focus=DocumentReference/x</c>, <c>?patient=</c>, <c>?status=failed</c>).
/// </summary>
public static class DeliveryEndpoints
{
    public static void MapDeliveries(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/Task/{id}/$retry", Retry).Is(FhirInteraction.Operation, "retry", "Task");
    }

    /// <summary><c>POST Task/{id}/$retry</c>: an operator re-queues a failed delivery; 200 with the queued Task, 409 if it is not failed.</summary>
    private static async Task Retry(HttpContext http, string id, DeliveryTracker tracker, IDeliveryQueue queue)
    {
        var delivery = await tracker.RequeueAsync(id, http.RequestAborted);
        queue.Enqueue(id);
        await FhirResponses.WriteAsync(http, StatusCodes.Status200OK, delivery.Task);
    }
}
