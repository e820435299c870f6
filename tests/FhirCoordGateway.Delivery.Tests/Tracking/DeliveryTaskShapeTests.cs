using FhirCoordGateway.Delivery.Tracking;
using Hl7.Fhir.Model;
using static FhirCoordGateway.Delivery.Tests.SharedRecord.SharedRecordFixtures;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Delivery.Tests.Tracking;

/// <summary>
/// Delivery Tasks are written without the profile validation of clients' bodies (DeliveryTracker, docs/adr/0008),
/// so every state the delivery code gives them is validated here, against the same profiles the gateway loads.
/// </summary>
public class DeliveryTaskShapeTests
{
    private static readonly DateTimeOffset Queued = new(2026, 11, 22, 21, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Steps() =>
        ["queued", "sending", "stored", "retry-scheduled", "failed", "sent", "acknowledged", "rejected", "requeued"];

    [Theory]
    [MemberData(nameof(Steps))]
    public void GivenDeliveryTask_WhenInEachStepItsCodeGivesIt_ThenItValidatesWithoutErrors(string step)
    {
        var task = InStep(step);

        var result = Validator.Validate(task);

        Assert.False(result.HasErrors, Describe(result));
        Assert.Equal(step == "requeued" ? "queued" : step, DeliveryTask.BusinessStep(task));
    }

    [Fact]
    public void GivenDeliveryTaskWithoutItsRequiredIntent_WhenValidating_ThenTheValidatorReportsIt()
    {
        // The control for the test above: the validator does check Task against its definition.
        var task = InStep("retry-scheduled");
        task.Intent = null;

        var result = Validator.Validate(task);

        Assert.Contains(result.Issues, i => i.IsError && i.Expression == "Task.intent");
    }

    private static FhirTask InStep(string step)
    {
        var mailbox = step is "sent" or "acknowledged" or "rejected";
        var target = mailbox
            ? new DeliveryTarget(DeliveryChannel.SecureMessaging, "dr.martin-7f3a21@medecin.mssante.fr", "PractitionerRole/role-7f3a21", "crh-to-care-team")
            : new DeliveryTarget(DeliveryChannel.SharedRecord, null, null, "all-to-shared-record");
        var task = DeliveryTask.New(DeliveryTracker.DeliveryId("doc-7f3a21", 1, target), target, "doc-7f3a21", 1, "pat-7f3a21", Queued);
        if (step == "queued")
        {
            return task;
        }

        DeliveryTask.StartAttempt(task, 1, Queued.AddSeconds(1));
        switch (step)
        {
            case "stored":
                DeliveryTask.Complete(task, new DeliveryReceipt("DocumentReference/remote-7f3a21", null), Queued.AddSeconds(2));
                break;
            case "sent" or "acknowledged" or "rejected":
                DeliveryTask.Complete(task, new DeliveryReceipt(null, "<dlv-7f3a21@fhircoord.example>"), Queued.AddSeconds(2));
                if (step != "sent")
                {
                    DeliveryTask.Acknowledge(task, new Acknowledgement(task.Id!, true, step == "rejected" ? "903" : null, step == "rejected" ? "Destinataire inconnu" : null));
                }

                break;
            case "retry-scheduled" or "failed" or "requeued":
                DeliveryTask.Fail(task, "The shared record answered 503.", retryScheduled: step == "retry-scheduled");
                if (step == "requeued")
                {
                    DeliveryTask.Requeue(task);
                }

                break;
        }

        return task;
    }
}
