using Hl7.Fhir.Model;
using FhirTask = Hl7.Fhir.Model.Task;

namespace FhirCoordGateway.Delivery.Tracking;

/// <summary>The two ways a document leaves the gateway.</summary>
public enum DeliveryChannel
{
    SharedRecord,
    SecureMessaging,
}

/// <summary>
/// A delivery is a FHIR Task (docs/adr/0008): <c>focus</c> = the DocumentReference, <c>for</c> = the patient,
/// <c>owner</c> = the recipient, <c>code</c> = the channel, <c>status</c> = where it stands
/// (ready = queued or waiting for a retry, in-progress = an attempt is under way, completed, failed)
/// and <c>businessStatus</c> the finer step (queued, sending, retry-scheduled, stored, sent, acknowledged, rejected, failed).
/// Attempts, the last error and the peer's answer are outputs. This class is the one place that knows that shape.
/// </summary>
public static class DeliveryTask
{
    public const string ChannelSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-channel";
    public const string StepSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-step";
    public const string FieldSystem = "https://fhircoord.example/fhir/CodeSystem/fhircoord-delivery-field";
    public const string IdentifierSystem = "https://fhircoord.example/fhir/delivery-id";

    public static string ChannelCode(DeliveryChannel channel) => channel switch
    {
        DeliveryChannel.SharedRecord => "shared-record",
        _ => "secure-messaging",
    };

    public static FhirTask New(string id, DeliveryTarget target, string documentId, int documentVersion, string patientId, DateTimeOffset now) => new()
    {
        Id = id,
        Identifier = [new Identifier(IdentifierSystem, id)],
        Status = FhirTask.TaskStatus.Ready,
        BusinessStatus = Step("queued"),
        Intent = FhirTask.TaskIntent.Order,
        Code = new CodeableConcept(ChannelSystem, ChannelCode(target.Channel)),
        Description = target.Channel == DeliveryChannel.SharedRecord ? "Document to the shared record" : "Document by secure messaging",
        Focus = new ResourceReference($"DocumentReference/{documentId}"),
        For = new ResourceReference($"Patient/{patientId}"),
        Owner = target.Recipient is null ? null : new ResourceReference(target.Recipient),
        AuthoredOnElement = new FhirDateTime(now),
        LastModifiedElement = new FhirDateTime(now),
        Input =
        [
            Field("document-version", new Integer(documentVersion)),
            .. target.Address is null ? Array.Empty<FhirTask.ParameterComponent>() : [Field("address", new FhirString(target.Address))],
            Field("route", new FhirString(target.Route)),
        ],
    };

    /// <summary>
    /// Attempt <paramref name="attempt"/> starts: in progress (sending), its number in the outputs, the execution period opened
    /// by the first one. Stored before the peer is contacted, this version is the durable record that the attempt started
    /// (docs/adr/0008).
    /// </summary>
    public static void StartAttempt(FhirTask task, int attempt, DateTimeOffset now)
    {
        task.Status = FhirTask.TaskStatus.InProgress;
        task.BusinessStatus = Step("sending");
        task.ExecutionPeriod ??= new Period { StartElement = new FhirDateTime(now) };
        SetOutput(task, "attempts", new UnsignedInt(attempt));
    }

    /// <summary>The started attempt got the document to the peer: completed (stored in the shared record, or sent), with what the peer answered.</summary>
    public static void Complete(FhirTask task, DeliveryReceipt receipt, DateTimeOffset now)
    {
        task.Status = FhirTask.TaskStatus.Completed;
        task.BusinessStatus = Step(Channel(task) == DeliveryChannel.SharedRecord ? "stored" : "sent");
        task.ExecutionPeriod!.EndElement = new FhirDateTime(now);
        task.StatusReason = null;
        if (receipt.RemoteReference is { } remote)
        {
            SetOutput(task, "remote-reference", new FhirString(remote));
        }

        if (receipt.MessageId is { } messageId)
        {
            SetOutput(task, "message-id", new FhirString(messageId));
        }
    }

    /// <summary>The started attempt failed: queued again when a retry is scheduled, else failed; the error is kept either way.</summary>
    public static void Fail(FhirTask task, string error, bool retryScheduled)
    {
        task.Status = retryScheduled ? FhirTask.TaskStatus.Ready : FhirTask.TaskStatus.Failed;
        task.BusinessStatus = Step(retryScheduled ? "retry-scheduled" : "failed");
        task.StatusReason = new CodeableConcept { Text = error };
        SetOutput(task, "last-error", new FhirString(error));
    }

    /// <summary>A secure-messaging acknowledgement (MDN): <c>processed</c> acknowledges, an error code rejects.</summary>
    public static void Acknowledge(FhirTask task, Acknowledgement ack)
    {
        if (ack.Processed && ack.ErrorCode is null)
        {
            task.Status = FhirTask.TaskStatus.Completed;
            task.BusinessStatus = Step("acknowledged");
        }
        else
        {
            task.Status = FhirTask.TaskStatus.Failed;
            task.BusinessStatus = Step("rejected");
            task.StatusReason = new CodeableConcept { Text = $"{ack.ErrorCode}^{ack.ErrorLabel}" };
        }

        SetOutput(task, "acknowledgement", new FhirString(ack.ErrorCode is null ? "processed" : $"processed/Error: {ack.ErrorCode}^{ack.ErrorLabel}"));
    }

    /// <summary>An operator's re-queue ($retry): queued with a fresh round of attempts; the last error stays.</summary>
    public static void Requeue(FhirTask task)
    {
        task.Status = FhirTask.TaskStatus.Ready;
        task.BusinessStatus = Step("queued");
        task.StatusReason = null;
        SetOutput(task, "attempts", new UnsignedInt(0));
    }

    public static DeliveryChannel Channel(FhirTask task) =>
        task.Code?.Coding.FirstOrDefault(c => c.System == ChannelSystem)?.Code == "shared-record" ? DeliveryChannel.SharedRecord : DeliveryChannel.SecureMessaging;

    public static string DocumentId(FhirTask task) => task.Focus!.Reference!["DocumentReference/".Length..];

    public static int DocumentVersion(FhirTask task) => ((Integer)Input(task, "document-version")!).Value ?? 1;

    public static string? Address(FhirTask task) => (Input(task, "address") as FhirString)?.Value;

    public static int Attempts(FhirTask task) => (Output(task, "attempts") as UnsignedInt)?.Value ?? 0;

    public static string? BusinessStep(FhirTask task) => task.BusinessStatus?.Coding.FirstOrDefault()?.Code;

    public static CodeableConcept Step(string code) => new(StepSystem, code);

    /// <summary>Sets (or replaces) one output value.</summary>
    public static void SetOutput(FhirTask task, string field, DataType value)
    {
        task.Output.RemoveAll(o => IsField(o.Type, field));
        task.Output.Add(new FhirTask.OutputComponent { Type = new CodeableConcept(FieldSystem, field), Value = value });
    }

    public static DataType? Output(FhirTask task, string field) => task.Output.FirstOrDefault(o => IsField(o.Type, field))?.Value;

    private static DataType? Input(FhirTask task, string field) => task.Input.FirstOrDefault(i => IsField(i.Type, field))?.Value;

    private static FhirTask.ParameterComponent Field(string field, DataType value) =>
        new() { Type = new CodeableConcept(FieldSystem, field), Value = value };

    private static bool IsField(CodeableConcept? type, string field) =>
        type?.Coding.Any(c => c.System == FieldSystem && c.Code == field) == true;
}

/// <summary>
/// Where one copy of a document goes: the shared record, or one secure-messaging address.
/// <paramref name="Recipient"/> is the recipient's reference (PractitionerRole/… or Practitioner/…), <paramref name="Route"/> the rule that chose it.
/// </summary>
public sealed record DeliveryTarget(DeliveryChannel Channel, string? Address, string? Recipient, string Route);
