using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Patch;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// <c>POST [base]</c> with a batch or transaction Bundle. https://hl7.org/fhir/R4/http.html#transaction
/// </summary>
// Design: a transaction runs in ONE unit of work (one PostgreSQL transaction) and in the spec's order:
// DELETE entries; then every POST/PUT/PATCH target is resolved (ids assigned, If-None-Exist and
// conditional criteria searched, each target claimed once); then references are rewritten and checked;
// then POST, then PUT/PATCH are written; then GET. Any failure throws one OperationOutcome naming the
// entry and the unit of work rolls back: nothing is half-written. A batch runs the very same steps for
// each entry alone, in its own unit of work, so entries succeed or fail independently.
public sealed class BundleHandler(
    IResourceStore store,
    CreateHandler creates,
    UpdateHandler updates,
    DeleteHandler deletes,
    ReadHandler reads,
    PatchHandler patches,
    SearchQueryParser parser,
    BundleOptions options)
{
    public Task<Bundle> HandleAsync(Bundle bundle, BundleRequest request, CancellationToken ct) => bundle.Type switch
    {
        Bundle.BundleType.Transaction => TransactionAsync(bundle, request, participant: null, ct),
        Bundle.BundleType.Batch => BatchAsync(bundle, request, ct),
        _ => throw FhirOutcomeException.Of(
            FailureKind.Invalid,
            $"POST [base] takes a Bundle of type batch or transaction, not {bundle.Type?.ToString() ?? "none"}; a document Bundle is posted to [base]/Bundle.",
            "Bundle.type"),
    };

    /// <summary>All or nothing: a transaction-response, or one OperationOutcome naming the failing entry.</summary>
    public async Task<Bundle> TransactionAsync(Bundle bundle, BundleRequest request, ITransactionParticipant? participant, CancellationToken ct)
    {
        EnsureSize(bundle);
        var entries = bundle.Entry.Select((e, i) => TransactionEntry.Parse(i, e, request.BaseUrl)).ToList();
        EnsureUniqueFullUrls(entries);
        foreach (var entry in entries)
        {
            await Located(entry, () => request.Authorize(new FhirRequestContext(entry.Interaction, entry.ResourceType, entry.Id), ct).AsTask());
        }

        await using var uow = await store.BeginAsync(ct);
        await ExecuteAsync(uow, entries, request, participant, ct);
        await uow.CommitAsync(ct);
        return Respond(Bundle.BundleType.TransactionResponse, entries.Select(e => ToResponseEntry(e, request)));
    }

    /// <summary>Each entry alone, in its own unit of work; a failed entry answers its status and OperationOutcome.</summary>
    public async Task<Bundle> BatchAsync(Bundle bundle, BundleRequest request, CancellationToken ct)
    {
        EnsureSize(bundle);
        var responses = new List<Bundle.EntryComponent>();
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            try
            {
                var entry = TransactionEntry.Parse(i, bundle.Entry[i], request.BaseUrl);
                await Located(entry, () => request.Authorize(new FhirRequestContext(entry.Interaction, entry.ResourceType, entry.Id), ct).AsTask());
                await using var uow = await store.BeginAsync(ct);
                await ExecuteAsync(uow, [entry], request, participant: null, ct);
                await uow.CommitAsync(ct);
                responses.Add(ToResponseEntry(entry, request));
            }
            catch (FhirOutcomeException e)
            {
                responses.Add(new Bundle.EntryComponent
                {
                    Response = new Bundle.ResponseComponent { Status = StatusText(e.Status), Outcome = e.Outcome },
                });
            }
        }

        return Respond(Bundle.BundleType.BatchResponse, responses);
    }

    private async Task ExecuteAsync(
        IResourceUnitOfWork uow, IReadOnlyList<TransactionEntry> entries, BundleRequest request, ITransactionParticipant? participant, CancellationToken ct)
    {
        var plan = new TransactionPlan(entries);
        foreach (var entry in entries.Where(e => e.Method == Bundle.HTTPVerb.DELETE))
        {
            await Located(entry, () => DeleteAsync(uow, entry, plan, ct));
        }

        await ResolveTargetsAsync(uow, plan, participant, ct);

        var references = new ReferenceResolver(uow, parser, request.BaseUrl, plan.FullUrls, plan.Written);
        foreach (var entry in entries.Where(e => e.Resource is not null && e.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH))
        {
            await Located(entry, () => references.RewriteAsync(entry.Resource!, entry.Resource!.TypeName, ct));
        }

        foreach (var entry in entries.Where(e => e.Method == Bundle.HTTPVerb.POST))
        {
            await Located(entry, async () => Written(entry, await creates.WriteAsync(uow, entry.ResourceType, entry.Resource!, entry.Create!, ct), request));
        }

        foreach (var entry in entries.Where(e => e.Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH))
        {
            await Located(entry, async () => Written(entry, await WriteAsync(uow, entry, ct), request));
        }

        if (participant is not null)
        {
            await participant.AfterWritesAsync(uow, plan, ct);
        }

        foreach (var entry in entries.Where(e => e.Method == Bundle.HTTPVerb.GET))
        {
            await Located(entry, () => GetAsync(uow, entry, request, ct));
        }
    }

    private async Task DeleteAsync(IResourceUnitOfWork uow, TransactionEntry entry, TransactionPlan plan, CancellationToken ct)
    {
        var id = entry.Id ?? await deletes.ResolveConditionalAsync(uow, entry.ResourceType, Criteria(entry, plan, entry.Query!)!, ct);
        StoredResource? tombstone = null;
        if (id is not null)
        {
            plan.Claim(entry, $"{entry.ResourceType}/{id}", deletes: true);
            tombstone = await deletes.DeleteInAsync(uow, entry.ResourceType, id, ct);
        }

        entry.Response = new Bundle.ResponseComponent
        {
            Status = "204 No Content",
            Etag = tombstone is null ? null : ETag.Of(tombstone.Version),
            LastModified = tombstone?.LastUpdated,
        };
    }

    /// <summary>
    /// Gives every POST/PUT/PATCH entry its target, POSTs first. Criteria may name another entry's
    /// <c>urn:uuid:</c>, so an entry waits until that one is resolved; when no entry can progress the
    /// criteria depend on each other in a circle: 400.
    /// </summary>
    private async Task ResolveTargetsAsync(IResourceUnitOfWork uow, TransactionPlan plan, ITransactionParticipant? participant, CancellationToken ct)
    {
        var pending = plan.Entries
            .Where(e => e.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.PATCH)
            .OrderBy(e => e.Method == Bundle.HTTPVerb.POST ? 0 : 1).ThenBy(e => e.Index)
            .ToList();
        while (pending.Count > 0)
        {
            var progressed = false;
            foreach (var entry in pending.ToList())
            {
                var text = entry.Method == Bundle.HTTPVerb.POST ? entry.IfNoneExist : entry.Id is null ? entry.Query : null;
                SearchQuery? criteria = null;
                if (text is not null)
                {
                    criteria = await LocatedValue(entry, () => System.Threading.Tasks.Task.FromResult(Criteria(entry, plan, text)));
                    if (criteria is null)
                    {
                        continue;
                    }
                }

                await Located(entry, () => ResolveAsync(uow, entry, criteria, plan, participant, ct));
                pending.Remove(entry);
                progressed = true;
            }

            if (!progressed)
            {
                throw FhirOutcomeException.Of(
                    FailureKind.Invalid,
                    $"The criteria of {string.Join(", ", pending.Select(e => e.Describe))} name each other's urn:uuid in a circle; none can be resolved first.",
                    pending[0].Location);
            }
        }
    }

    private async Task ResolveAsync(
        IResourceUnitOfWork uow, TransactionEntry entry, SearchQuery? criteria, TransactionPlan plan, ITransactionParticipant? participant, CancellationToken ct)
    {
        switch (entry.Method)
        {
            case Bundle.HTTPVerb.POST:
                entry.Create = (participant is null ? null : await participant.ResolveCreateAsync(uow, entry, ct))
                    ?? await creates.ResolveAsync(uow, criteria, ct);
                entry.TargetId = entry.Create.Id;
                break;
            case Bundle.HTTPVerb.PUT:
                entry.TargetId = entry.Id ?? await updates.ResolveConditionalAsync(uow, entry.ResourceType, criteria!, entry.Resource!, ct);
                break;
            default:
                entry.TargetId = entry.Id ?? await patches.ResolveConditionalAsync(uow, entry.ResourceType, criteria!, ct);
                break;
        }

        plan.Claim(entry, $"{entry.ResourceType}/{entry.TargetId}");
    }

    private Task<WriteResult> WriteAsync(IResourceUnitOfWork uow, TransactionEntry entry, CancellationToken ct) => entry.Method switch
    {
        Bundle.HTTPVerb.PUT when entry.Id is not null => updates.UpdateInAsync(uow, entry.ResourceType, entry.Id, entry.Resource!, entry.IfMatch, ct),
        Bundle.HTTPVerb.PUT => updates.WriteAsync(uow, entry.Resource!, entry.TargetId!, entry.IfMatch, ct),
        _ => patches.PatchInAsync(uow, entry.ResourceType, entry.TargetId!, PatchDocument.FromBundleResource(entry.Resource!), entry.IfMatch, ct),
    };

    private async Task GetAsync(IResourceUnitOfWork uow, TransactionEntry entry, BundleRequest request, CancellationToken ct)
    {
        if (entry.Id is null)
        {
            var query = parser.Parse(entry.ResourceType, QueryText.Parse(entry.Query), strict: false);
            var matches = await uow.SearchAsync(query, options.MaxSearchResults, ct);
            var searchset = new Bundle { Type = Bundle.BundleType.Searchset, Id = Guid.NewGuid().ToString(), Total = matches.Count < options.MaxSearchResults ? matches.Count : null };
            searchset.Entry.AddRange(matches.Select(m => new Bundle.EntryComponent
            {
                FullUrl = $"{request.BaseUrl}/{m.ResourceType}/{m.Id}",
                Resource = ResourceJson.Parse(m.Json!),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            }));
            entry.ResponseResource = searchset;
            entry.Response = new Bundle.ResponseComponent { Status = "200 OK" };
            return;
        }

        var stored = entry.VersionId is null
            ? await reads.ReadInAsync(uow, entry.ResourceType, entry.Id, ct)
            : await reads.ReadVersionAsync(entry.ResourceType, entry.Id, entry.VersionId, ct);
        entry.ResponseResource = ResourceJson.Parse(stored.Json!);
        entry.Response = Response("200 OK", stored);
    }

    private SearchQuery? Criteria(TransactionEntry entry, TransactionPlan plan, string text)
    {
        var pairs = plan.Substitute(text, entry);
        return pairs is null ? null : parser.Parse(entry.ResourceType, pairs, strict: true);
    }

    private static void Written(TransactionEntry entry, WriteResult result, BundleRequest request)
    {
        entry.Response = Response(result.Created ? "201 Created" : "200 OK", result.Stored);
        if (request.ReturnOutcome && result.Warnings.Issue.Count > 0)
        {
            entry.Response.Outcome = result.Warnings;
        }

        if (request.ReturnRepresentation)
        {
            entry.ResponseResource = result.Resource;
        }
    }

    private static Bundle.ResponseComponent Response(string status, StoredResource stored) => new()
    {
        Status = status,
        Location = stored.VersionedReference,
        Etag = ETag.Of(stored.Version),
        LastModified = stored.LastUpdated,
    };

    private static Bundle.EntryComponent ToResponseEntry(TransactionEntry entry, BundleRequest request) => new()
    {
        FullUrl = entry.TargetId is null ? null : $"{request.BaseUrl}/{entry.ResourceType}/{entry.TargetId}",
        Resource = entry.ResponseResource,
        Response = entry.Response,
    };

    private static Bundle Respond(Bundle.BundleType type, IEnumerable<Bundle.EntryComponent> entries)
    {
        var bundle = new Bundle { Type = type, Id = Guid.NewGuid().ToString(), Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        bundle.Entry.AddRange(entries);
        return bundle;
    }

    private void EnsureSize(Bundle bundle)
    {
        if (bundle.Entry.Count > options.MaxEntries)
        {
            throw FhirOutcomeException.Of(
                FailureKind.PayloadTooLarge,
                $"The bundle has {bundle.Entry.Count} entries; this server accepts at most {options.MaxEntries} per batch or transaction (setting {BundleOptions.Section}:MaxEntries).",
                "Bundle.entry");
        }
    }

    private static void EnsureUniqueFullUrls(IReadOnlyList<TransactionEntry> entries)
    {
        var seen = new Dictionary<string, TransactionEntry>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.FullUrl is not null))
        {
            if (!seen.TryAdd(entry.FullUrl!, entry))
            {
                throw FhirOutcomeException.Of(
                    FailureKind.Invalid,
                    $"{seen[entry.FullUrl!].Location} and {entry.Location} have the same fullUrl {TransactionEntry.Shorten(entry.FullUrl!)}.",
                    entry.Location + ".fullUrl");
            }
        }
    }

    private static async Task Located(TransactionEntry entry, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (FhirOutcomeException e)
        {
            throw Locate(entry, e);
        }
    }

    private static async Task<T> LocatedValue<T>(TransactionEntry entry, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (FhirOutcomeException e)
        {
            throw Locate(entry, e);
        }
    }

    /// <summary>
    /// The failure of an entry, located: every issue names <c>Bundle.entry[i]</c> first, element paths of
    /// the entry's resource become <c>Bundle.entry[i].resource...</c>, and the diagnostics say which entry.
    /// </summary>
    internal static FhirOutcomeException Locate(TransactionEntry entry, FhirOutcomeException e)
    {
        var type = entry.Resource?.TypeName ?? entry.ResourceType;
        foreach (var issue in e.Outcome.Issue)
        {
            if (issue.Diagnostics?.StartsWith("Bundle.entry[", StringComparison.Ordinal) == true)
            {
                continue; // located already
            }

            var expressions = issue.Expression.OfType<string>().Select(x =>
                x.StartsWith(type + ".", StringComparison.Ordinal) ? $"{entry.Location}.resource{x[type.Length..]}"
                : x == type ? $"{entry.Location}.resource"
                : x).ToList();
            if (!expressions.Any(x => x.StartsWith(entry.Location, StringComparison.Ordinal)))
            {
                expressions.Insert(0, entry.Location);
            }

            issue.Expression = expressions;
            issue.Diagnostics = $"{entry.Describe}: {issue.Diagnostics}";
        }

        return e;
    }

    internal static string StatusText(int status) => status switch
    {
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        409 => "409 Conflict",
        410 => "410 Gone",
        412 => "412 Precondition Failed",
        413 => "413 Payload Too Large",
        422 => "422 Unprocessable Entity",
        _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
