using FhirCoordGateway.Api.Endpoints;
using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Outcomes;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Security;
using FhirCoordGateway.Validation;
using FhirCoordGateway.Validation.Registry;
using FhirCoordGateway.Validation.Terminology;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// <c>$validate</c> (https://hl7.org/fhir/R4/resource-operation-validate.html), ValueSet <c>$expand</c> and
/// <c>$validate-code</c>, CodeSystem <c>$validate-code</c>, and conformance lookups by canonical url served from
/// the profiles the validator has loaded (local and core).
/// </summary>
public static class ValidationEndpoints
{
    public static void MapValidation(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/{type:fhirtype}/$validate", ValidateBody).Is(FhirInteraction.Operation, "validate");
        fhir.MapPost("/{type:fhirtype}/{id}/$validate", ValidateBody).Is(FhirInteraction.Operation, "validate");
        fhir.MapGet("/{type:fhirtype}/{id}/$validate", ValidateStored).Is(FhirInteraction.Operation, "validate");
        fhir.MapMethods("/ValueSet/$expand", ["GET", "POST"], Expand).Is(FhirInteraction.Operation, "expand", "ValueSet");
        fhir.MapGet("/ValueSet/{id}/$expand", ExpandStored).Is(FhirInteraction.Operation, "expand", "ValueSet");
        fhir.MapMethods("/ValueSet/$validate-code", ["GET", "POST"], ValidateCodeInValueSet).Is(FhirInteraction.Operation, "validate-code", "ValueSet");
        fhir.MapMethods("/CodeSystem/$validate-code", ["GET", "POST"], ValidateCodeInCodeSystem).Is(FhirInteraction.Operation, "validate-code", "CodeSystem");
        foreach (var type in ConformanceRegistryUpdater.ConformanceTypes)
        {
            fhir.MapGet("/" + type, (HttpContext http, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase, ProfileRegistry registry) =>
                    SearchConformance(http, type, handler, parser, fhirBase, registry))
                .Is(FhirInteraction.SearchType, resourceType: type);
        }
    }

    private static async Task ValidateBody(HttpContext http, string type, string? id, FhirBodyReader reader, ProfileValidationAdapter adapter,
        FhirProfileValidator validator, ReadHandler read)
    {
        ResourceTypes.EnsureSupported(type);
        // mode=delete needs no body.
        var body = HasBody(http.Request) ? await reader.ReadForValidationAsync(http.Request, http.RequestAborted) : new ParsedBody(null, null);
        var arguments = ValidateArguments.From(http.Request.Query, body.Resource as Parameters, type);
        var resource = arguments.Resource ?? body.Resource;
        if (body.Failure is not null)
        {
            await FhirResponses.WriteAsync(http, 200, Informative(validator.ValidateParseFailure(body.Failure, arguments.Profiles).ToOperationOutcome()));
            return;
        }

        if (arguments.Mode == "delete")
        {
            var current = await read.ReadAsync(type, id ?? resource?.Id ?? throw Missing("an id"), http.RequestAborted);
            await FhirResponses.WriteAsync(http, 200, Outcomes.Information($"{current.ResourceType}/{current.Id} can be deleted."));
            return;
        }

        if (resource is null || resource.TypeName != type)
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, $"$validate needs a {type}, in the body or as the 'resource' parameter.", "resource");
        }

        if (arguments.Mode == "update" && (resource.Id is null || (id is not null && resource.Id != id)))
        {
            throw FhirOutcomeException.Of(FailureKind.Invalid, "mode=update needs the resource id, equal to the id in the URL.", $"{type}.id");
        }

        await FhirResponses.WriteAsync(http, 200, Informative(adapter.Validate(resource, arguments.Profiles)));
    }

    private static async Task ValidateStored(HttpContext http, string type, string id, ReadHandler read, ProfileValidationAdapter adapter)
    {
        var stored = await read.ReadAsync(type, id, http.RequestAborted);
        var profiles = http.Request.Query["profile"].OfType<string>().ToList();
        await FhirResponses.WriteAsync(http, 200, Informative(adapter.Validate(ResourceJson.Parse(stored.Json!), profiles)));
    }

    private static async Task Expand(HttpContext http, TerminologyOperations terminology)
    {
        var url = await Argument(http, "url") ?? throw Missing("the 'url' parameter");
        await FhirResponses.WriteAsync(http, 200, ExpandOrFail(terminology, url));
    }

    private static async Task ExpandStored(HttpContext http, string id, ReadHandler read, TerminologyOperations terminology)
    {
        var stored = (ValueSet)ResourceJson.Parse((await read.ReadAsync("ValueSet", id, http.RequestAborted)).Json!);
        await FhirResponses.WriteAsync(http, 200, ExpandOrFail(terminology, stored.Url ?? throw Missing("a ValueSet url")));
    }

    private static async Task ValidateCodeInValueSet(HttpContext http, TerminologyOperations terminology)
    {
        var url = await Argument(http, "url") ?? throw Missing("the 'url' parameter");
        var code = await Argument(http, "code") ?? throw Missing("the 'code' parameter");
        await FhirResponses.WriteAsync(http, 200, terminology.ValidateCode(url, await Argument(http, "system"), code).ToParameters());
    }

    private static async Task ValidateCodeInCodeSystem(HttpContext http, TerminologyOperations terminology)
    {
        var url = await Argument(http, "url") ?? throw Missing("the 'url' parameter");
        var code = await Argument(http, "code") ?? throw Missing("the 'code' parameter");
        await FhirResponses.WriteAsync(http, 200, terminology.ValidateCodeInCodeSystem(url, code).ToParameters());
    }

    /// <summary>
    /// <c>?url=</c> (with an optional <c>version</c>) is answered from the validator's registry, which holds every
    /// loaded profile, local or core; any other search goes to the store like for every type.
    /// </summary>
    private static async Task SearchConformance(HttpContext http, string type, SearchHandler handler, SearchQueryParser parser, FhirBase fhirBase, ProfileRegistry registry)
    {
        if (http.Request.Query["url"].FirstOrDefault() is not { Length: > 0 } url)
        {
            await FhirEndpoints.Search(http, type, handler, parser, fhirBase);
            return;
        }

        var version = http.Request.Query["version"].FirstOrDefault();
        var found = registry.Current.Resolve(type, version is null ? url : $"{url}|{version}");
        var baseUrl = fhirBase.Of(http.Request);
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = found is null ? 0 : 1 };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = baseUrl + "/" + type + http.Request.QueryString });
        if (found is not null)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = found.Id is null ? url : $"{baseUrl}/{type}/{found.Id}",
                Resource = found.DeepCopy(),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        await FhirResponses.WriteAsync(http, 200, bundle);
    }

    private static ValueSet ExpandOrFail(TerminologyOperations terminology, string url)
    {
        try
        {
            return terminology.Expand(url) ?? throw FhirOutcomeException.Of(FailureKind.NotFound, $"ValueSet {url} is not known.", "url");
        }
        catch (InvalidOperationException e)
        {
            throw FhirOutcomeException.Of(FailureKind.Unprocessable, e.Message, "url");
        }
    }

    /// <summary>An operation argument from the query string or, for POST, from a Parameters body.</summary>
    private static async Task<string?> Argument(HttpContext http, string name)
    {
        if (http.Request.Query[name].FirstOrDefault() is { } fromQuery)
        {
            return fromQuery;
        }

        if (!HttpMethods.IsPost(http.Request.Method) || http.Request.ContentLength is 0)
        {
            return null;
        }

        if (!http.Items.TryGetValue(typeof(Parameters), out var cached))
        {
            cached = await http.RequestServices.GetRequiredService<FhirBodyReader>().ReadAsync(http.Request, http.RequestAborted) as Parameters
                ?? throw FhirOutcomeException.Of(FailureKind.Invalid, "The body of this operation must be a Parameters resource.");
            http.Items[typeof(Parameters)] = cached;
        }

        return ((Parameters)cached!).Parameter.FirstOrDefault(p => p.Name == name)?.Value?.ToString();
    }

    private static bool HasBody(HttpRequest request) => request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;

    private static OperationOutcome Informative(OperationOutcome outcome)
    {
        if (outcome.Issue.Count == 0)
        {
            outcome.Issue.Add(Outcomes.Issue(OperationOutcome.IssueSeverity.Information, OperationOutcome.IssueType.Informational, "No issues found.", null));
        }

        return outcome;
    }

    private static FhirOutcomeException Missing(string what) =>
        FhirOutcomeException.Of(FailureKind.Invalid, $"This operation needs {what}.");

    /// <summary>The $validate inputs: <c>resource</c>, <c>mode</c> and <c>profile</c>, from a Parameters body or the query.</summary>
    private sealed record ValidateArguments(Resource? Resource, string? Mode, IReadOnlyList<string> Profiles)
    {
        private static readonly HashSet<string> Modes = ["create", "update", "delete"];

        public static ValidateArguments From(IQueryCollection query, Parameters? parameters, string type)
        {
            // A Parameters body is the operation's input, unless Parameters itself is being validated.
            var input = type == "Parameters" ? null : parameters;
            var mode = input?.Parameter.FirstOrDefault(p => p.Name == "mode")?.Value?.ToString() ?? query["mode"].FirstOrDefault();
            if (mode is not null && !Modes.Contains(mode))
            {
                throw FhirOutcomeException.Of(FailureKind.Invalid, "mode must be create, update or delete.", "mode");
            }

            var profiles = (input?.Parameter.Where(p => p.Name == "profile").Select(p => p.Value?.ToString()) ?? query["profile"])
                .OfType<string>().ToList();
            return new ValidateArguments(input?.Parameter.FirstOrDefault(p => p.Name == "resource")?.Resource, mode, profiles);
        }
    }
}
