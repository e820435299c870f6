using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Transactions;

/// <summary>
/// Rewrites and checks the references of the resources of a bundle, inside its unit of work
/// (https://hl7.org/fhir/R4/http.html#trules):
/// <list type="bullet">
/// <item>a reference, uri, url, oid, uuid or canonical equal to an entry's fullUrl becomes that entry's
/// <c>[type]/[id]</c>, and so do <c>href</c>/<c>src</c> links to it in the narrative;</item>
/// <item>a conditional reference <c>[type]?criteria</c> becomes its single match (412 when several, 400 when none);</item>
/// <item>a literal reference (<c>[type]/[id]</c>, or an absolute URL under this server's base) must name a
/// resource that exists, or one the bundle writes; a <c>urn:uuid:</c>/<c>urn:oid:</c> reference must name an
/// entry of the bundle. Otherwise 400 (not-found) naming the element: a reference to nowhere is never stored.</item>
/// </list>
/// References to other servers and to contained resources (<c>#id</c>) are left as they are.
/// </summary>
public sealed class ReferenceResolver(
    IResourceUnitOfWork uow, SearchQueryParser parser, string baseUrl, IReadOnlyDictionary<string, string> fullUrls, IReadOnlySet<string> written)
{
    private readonly Dictionary<string, bool> _exists = new(StringComparer.Ordinal);

    public async Task RewriteAsync(Base resource, string path, CancellationToken ct)
    {
        var references = new List<(ResourceReference Reference, string Path)>();
        ResourceWalker.Walk(resource, path, (node, at) =>
        {
            switch (node)
            {
                case ResourceReference r when r.Reference is not null:
                    references.Add((r, at));
                    break;
                case PrimitiveType { JsonValue: string value } uri when uri is FhirUri or FhirUrl or Canonical or Oid or Uuid:
                    uri.JsonValue = Map(value);
                    break;
                case Narrative { Div: { } div } narrative:
                    narrative.Div = RewriteLinks(div);
                    break;
            }
        });

        foreach (var (reference, at) in references)
        {
            reference.Reference = await ResolveAsync(reference.Reference!, at + ".reference", ct);
        }
    }

    private string? Map(string? value) => value is not null && fullUrls.TryGetValue(value, out var mapped) ? mapped : value;

    private string RewriteLinks(string div)
    {
        foreach (var (fullUrl, target) in fullUrls)
        {
            if (div.Contains(fullUrl, StringComparison.Ordinal))
            {
                div = div.Replace($"\"{fullUrl}\"", $"\"{target}\"", StringComparison.Ordinal)
                    .Replace($"'{fullUrl}'", $"'{target}'", StringComparison.Ordinal);
            }
        }

        return div;
    }

    private async Task<string> ResolveAsync(string reference, string at, CancellationToken ct)
    {
        if (fullUrls.TryGetValue(reference, out var mapped))
        {
            return mapped;
        }

        if (reference.StartsWith('#'))
        {
            return reference;
        }

        if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal))
        {
            throw NotFound($"The reference {TransactionEntry.Shorten(reference)} names no entry of the bundle.", at);
        }

        var local = reference;
        if (reference.Contains("://", StringComparison.Ordinal))
        {
            if (!reference.StartsWith(baseUrl + "/", StringComparison.Ordinal))
            {
                return reference; // another server's resource: not ours to check
            }

            local = reference[(baseUrl.Length + 1)..];
        }

        var q = local.IndexOf('?');
        if (q >= 0)
        {
            return await ResolveConditionalAsync(local[..q], local[(q + 1)..], at, ct);
        }

        var parts = local.Split('/');
        if (parts.Length is not (2 or 4) || !ResourceTypes.All.Contains(parts[0]) || (parts.Length == 4 && parts[2] != "_history"))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"The reference {TransactionEntry.Shorten(reference)} is not [type]/[id].", at);
        }

        ResourceTypes.EnsureValidId(parts[1], at);
        var key = parts[0] + "/" + parts[1];
        if (!written.Contains(key) && !await ExistsAsync(parts[0], parts[1], ct))
        {
            throw NotFound($"The reference {key} names a resource that does not exist.", at);
        }

        return local;
    }

    private async Task<string> ResolveConditionalAsync(string type, string query, string at, CancellationToken ct)
    {
        if (!ResourceTypes.All.Contains(type))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"The conditional reference names an unknown type '{TransactionEntry.Shorten(type)}'.", at);
        }

        var criteria = parser.Parse(type, QueryText.Parse(query), strict: true);
        if (criteria.IsEmpty)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "A conditional reference needs search criteria.", at);
        }

        var matches = await uow.SearchAsync(criteria, 2, ct);
        return matches.Count switch
        {
            0 => throw NotFound($"The conditional reference {type}?{TransactionEntry.Shorten(query)} matches no resource.", at),
            1 => $"{type}/{matches[0].Id}",
            _ => throw FhirOutcomeException.Of(
                FailureKind.PreconditionFailed, $"The conditional reference {type}?{TransactionEntry.Shorten(query)} matches more than one resource.", at),
        };
    }

    private async Task<bool> ExistsAsync(string type, string id, CancellationToken ct)
    {
        var key = type + "/" + id;
        if (!_exists.TryGetValue(key, out var exists))
        {
            exists = await uow.ReadAsync(type, id, ct) is { Deleted: false };
            _exists[key] = exists;
        }

        return exists;
    }

    private static FhirOutcomeException NotFound(string message, string at) =>
        new(FailureKind.Invalid, Outcomes.Outcomes.Error(OperationOutcome.IssueType.NotFound, message, at));
}
