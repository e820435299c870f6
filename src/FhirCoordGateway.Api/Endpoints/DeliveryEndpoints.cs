using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Delivery.SecureMessaging;
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
        fhir.MapPost("/$mssante-acknowledgement", Acknowledge).Is(FhirInteraction.Operation, "mssante-acknowledgement");
    }

    /// <summary>
    /// <c>POST $mssante-acknowledgement</c> with a raw message (<c>message/rfc822</c>), for the mail system to hand over the
    /// acknowledgements (RFC 8098 MDNs) that come back to the gateway's mailbox: 200 with the updated delivery Task,
    /// 400 if the message is not an MDN of ours, 404 if its delivery is unknown.
    /// </summary>
    private static async Task Acknowledge(HttpContext http, DeliveryTracker tracker)
    {
        var parser = http.RequestServices.GetService<MdnParser>()
            ?? throw FhirOutcomeException.Of(FailureKind.NotFound, "Secure messaging is not configured on this gateway (Delivery:SecureMessaging).");
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        body.Position = 0;
        if (!parser.TryParse(body, out var acknowledgement, out var rejection))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"Not an acknowledgement of a delivery: {rejection}");
        }

        var delivery = await tracker.AcknowledgeAsync(acknowledgement, http.RequestAborted);
        await FhirResponses.WriteAsync(http, StatusCodes.Status200OK, delivery.Task);
    }

    /// <summary><c>POST Task/{id}/$retry</c>: an operator re-queues a failed delivery; 200 with the queued Task, 409 if it is not failed.</summary>
    private static async Task Retry(HttpContext http, string id, DeliveryTracker tracker, IDeliveryQueue queue)
    {
        var delivery = await tracker.RequeueAsync(id, http.RequestAborted);
        queue.Enqueue(id);
        await FhirResponses.WriteAsync(http, StatusCodes.Status200OK, delivery.Task);
    }
}
