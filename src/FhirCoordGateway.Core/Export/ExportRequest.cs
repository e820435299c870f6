using FhirCoordGateway.Core.Security;

namespace FhirCoordGateway.Core.Export;

/// <summary>Where a bulk export was started: <c>[base]/$export</c>, <c>Patient/$export</c> or <c>Group/[id]/$export</c>.</summary>
public enum ExportLevel
{
    System,
    Patient,
    Group,
}

/// <summary>
/// A bulk export kick-off as the job needs it (ADR 0015): the level, the requested types (empty: every type the
/// level and the token allow), <c>_since</c>, the kick-off URL for the manifest, and who asked (null when security
/// is off), so that the job later searches with exactly the caller's access.
/// </summary>
public sealed record ExportRequest(
    ExportLevel Level,
    string? GroupId,
    IReadOnlyList<string> Types,
    DateTimeOffset? Since,
    string RequestUrl,
    ExportRequester? Requester);

/// <summary>
/// The parts of the kick-off token's <see cref="RequestAccess"/> the job needs, kept with the job (a Hangfire job
/// carries only the export id). <see cref="Owner"/> is who may poll, cancel and download.
/// </summary>
public sealed record ExportRequester(
    IReadOnlyList<SmartScope> Scopes, string? Patient, CallerRole Role, string? ClientId, string? Subject, string? FhirUser, bool IsAdmin)
{
    /// <summary>The client that started the export (its subject when the token names no client).</summary>
    public string Owner => OwnerOf(ClientId, Subject);

    public static string OwnerOf(string? clientId, string? subject) => clientId ?? "sub:" + subject;

    public static ExportRequester From(RequestAccess access) =>
        new(access.Scopes, access.Patient, access.Role, access.ClientId, access.Subject, access.FhirUser, access.IsAdmin);

    public RequestAccess ToAccess() => new(Scopes, Patient, Role, ClientId, Subject, FhirUser, IsAdmin);
}

/// <summary>The state of an export: <c>queued</c>, <c>running</c>, <c>completed</c> or <c>failed</c>.</summary>
public static class ExportStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>An export as stored: its request, the transaction time its output stops at, progress and files.</summary>
public sealed record ExportJob(
    Guid Id,
    string Status,
    ExportRequest Request,
    DateTimeOffset TransactionTime,
    string? Progress,
    string? Error,
    IReadOnlyList<ExportFile> Files);

/// <summary>
/// One ndjson file of the manifest: <see cref="IsError"/> files hold OperationOutcomes (the manifest's
/// <c>error</c> array), the others resources of <see cref="ResourceType"/>.
/// </summary>
public sealed record ExportFile(int Number, string ResourceType, int Count, bool IsError);
