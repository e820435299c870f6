using System.Text;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;

namespace FhirCoordGateway.Core.Export;

/// <summary>
/// Runs one bulk export (FHIR Bulk Data Access v2, https://hl7.org/fhir/uv/bulkdata/export.html) as its requester:
/// every type of the <see cref="ExportPlan"/> is read through the secured search store in pages, so the scopes,
/// the <c>patient/</c> compartment and the visibility labels apply exactly as on a search (ADR 0011, 0012), and
/// written as ndjson files. Output stops at the export's transaction time; <c>_since</c> keeps what changed after it.
/// </summary>
// Design: the job sets the requester's access as the current RequestSecurity of its own async flow instead of
// passing a restriction by hand, so that it goes through the same decorators (restriction, per-result check) as
// a request and cannot drift from them.
public sealed class ExportRunner(
    IExportStore store, ISearchStore search, IResourceStore resources, RequestSecurityAccessor security, ExportOptions options, ILogger<ExportRunner> logger)
{
    public async Task RunAsync(Guid exportId, CancellationToken ct)
    {
        if (await store.StartAsync(exportId, ct) is not { } job)
        {
            logger.LogInformation("Export {ExportId} has nothing to run (deleted or finished)", exportId);
            return;
        }

        var access = job.Request.Requester?.ToAccess();
        if (access is not null)
        {
            var level = job.Request.Level == ExportLevel.System ? null : job.Request.Level.ToString();
            security.Current = new RequestSecurity(access, new FhirRequestContext(FhirInteraction.Operation, level, job.Request.GroupId, "export"), exportId.ToString("N"));
        }

        try
        {
            var finished = await ExportAsync(job, access, ct);
            if (finished)
            {
                await store.CompleteAsync(exportId, ct);
                logger.LogInformation("Export {ExportId} completed", exportId);
            }
            else
            {
                logger.LogInformation("Export {ExportId} was deleted while running; stopped", exportId);
            }
        }
        catch (FhirOutcomeException e)
        {
            // The export's own failure (its group vanished, a type was refused): the client reads it from the status.
            await store.FailAsync(exportId, e.Message, CancellationToken.None);
            logger.LogWarning("Export {ExportId} failed with {Status}", exportId, e.Status);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never the exception's text in the status (it may quote data); the log has it under the export id.
            logger.LogError(e, "Export {ExportId} failed", exportId);
            await store.FailAsync(exportId, $"The export failed on the server; quote export id {exportId} to its operators.", CancellationToken.None);
        }
        finally
        {
            security.Current = null;
        }
    }

    /// <summary>False when the export was deleted meanwhile.</summary>
    private async Task<bool> ExportAsync(ExportJob job, RequestAccess? access, CancellationToken ct)
    {
        var plan = ExportPlan.For(job.Request, access);
        var files = new ExportFileWriter(store, job.Id, options.ResourcesPerFile);
        foreach (var skip in plan.Skipped)
        {
            var issue = Outcomes.Outcomes.Error(skip.Refused ? OperationOutcome.IssueType.Forbidden : OperationOutcome.IssueType.NotSupported, skip.Reason, "_type");
            files.AddError(FhirJsonSerializer.Default.SerializeToString(issue));
        }

        var compartments = await CompartmentsAsync(job.Request, ct);
        var done = 0;
        foreach (var type in plan.Types)
        {
            // A resource in the compartments of two group members is exported once.
            var seen = compartments.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var compartment in compartments)
            {
                if (!await ExportTypeAsync(job, type, compartment, seen, files, ct))
                {
                    return false;
                }
            }

            if (!await files.FlushAsync(type, ct))
            {
                return false;
            }

            await store.ProgressAsync(job.Id, $"{++done} of {plan.Types.Count} resource types exported", ct);
        }

        return await files.FlushErrorsAsync(ct);
    }

    private async Task<bool> ExportTypeAsync(ExportJob job, string type, CompartmentCriterion? compartment, HashSet<string>? seen, ExportFileWriter files, CancellationToken ct)
    {
        var query = new SearchQuery(type, Criteria(job, compartment));
        PageCursor? cursor = null;
        do
        {
            var page = await search.SearchAsync(query, new SearchPaging(options.PageSize, cursor, TotalMode.None, MaxIncludes: 0), ct);
            foreach (var match in page.Matches)
            {
                if (match.Json is not null && (seen is null || seen.Add(match.Id)) && !await files.AddAsync(type, match.Json, ct))
                {
                    return false;
                }
            }

            cursor = page.Next;
        }
        while (cursor is not null);

        return true;
    }

    /// <summary>Changed after <c>_since</c> (if given), not after the transaction time, and in the compartment (if any).</summary>
    private static List<SearchCriterion> Criteria(ExportJob job, CompartmentCriterion? compartment)
    {
        var criteria = new List<SearchCriterion>
        {
            new DateCriterion("_lastUpdated", [new DateValue(Prefix.Le, job.TransactionTime, job.TransactionTime)]),
        };
        if (job.Request.Since is { } since)
        {
            criteria.Add(new DateCriterion("_lastUpdated", [new DateValue(Prefix.Gt, since, since)]));
        }

        if (compartment is not null)
        {
            criteria.Add(compartment);
        }

        return criteria;
    }

    /// <summary>
    /// No compartment for a system export; any patient's for a Patient-level one; each active member's for a Group
    /// (read as the requester: a group it may not see does not exist).
    /// </summary>
    private async Task<IReadOnlyList<CompartmentCriterion?>> CompartmentsAsync(ExportRequest request, CancellationToken ct)
    {
        switch (request.Level)
        {
            case ExportLevel.System:
                return [null];
            case ExportLevel.Patient:
                return [new CompartmentCriterion("Patient", null)];
            default:
                var stored = await resources.ReadAsync("Group", request.GroupId!, ct);
                if (stored is not { Deleted: false, Json: { } json })
                {
                    throw FhirOutcomeException.Of(FailureKind.NotFound, $"Group/{request.GroupId} does not exist any more.");
                }

                return GroupMembers.PatientIds((Group)Interactions.ResourceJson.Parse(json)).Select(id => (CompartmentCriterion?)new CompartmentCriterion("Patient", id)).ToList();
        }
    }
}

/// <summary>The patients of a Group: its active members that are Patient references.</summary>
public static class GroupMembers
{
    public static IReadOnlyList<string> PatientIds(Group group) =>
        [.. group.Member
            .Where(m => m.Inactive != true)
            .Select(m => m.Entity?.Reference?.Split('/') ?? [])
            .Where(parts => parts.Length >= 2 && parts[^2] == "Patient")
            .Select(parts => parts[^1])
            .Distinct(StringComparer.Ordinal)];
}

/// <summary>
/// Buffers the lines of the type being exported and of the error file, and stores a file each time one is full
/// (<see cref="ExportOptions.ResourcesPerFile"/>) or its type is done. Every store call says whether the export
/// still exists.
/// </summary>
internal sealed class ExportFileWriter(IExportStore store, Guid exportId, int perFile)
{
    private readonly StringBuilder _lines = new();
    private readonly StringBuilder _errors = new();
    private int _count;
    private int _errorCount;
    private int _number;

    public async Task<bool> AddAsync(string type, string json, CancellationToken ct)
    {
        _lines.Append(json).Append('\n');
        return ++_count < perFile || await FlushAsync(type, ct);
    }

    public void AddError(string outcomeJson)
    {
        _errors.Append(outcomeJson).Append('\n');
        _errorCount++;
    }

    public async Task<bool> FlushAsync(string type, CancellationToken ct)
    {
        if (_count == 0)
        {
            return true;
        }

        var stored = await store.AddFileAsync(exportId, new ExportFile(++_number, type, _count, IsError: false), _lines.ToString(), ct);
        _lines.Clear();
        _count = 0;
        return stored;
    }

    public async Task<bool> FlushErrorsAsync(CancellationToken ct) =>
        _errorCount == 0 || await store.AddFileAsync(exportId, new ExportFile(++_number, "OperationOutcome", _errorCount, IsError: true), _errors.ToString(), ct);
}
