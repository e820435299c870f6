using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using Hl7.Fhir.Model;

namespace FhirCoordGateway.Core.Capabilities;

/// <summary>
/// Builds the CapabilityStatement from what the server really implements: the resource types of
/// <see cref="ResourceTypes.All"/>, the interactions of the handlers and the indexed search parameters.
/// https://hl7.org/fhir/R4/capabilitystatement.html
/// </summary>
public sealed class CapabilityStatementBuilder(SearchParameterCatalog catalog, IEnumerable<ICapabilityContributor> contributors)
{
    private static readonly CapabilityStatement.TypeRestfulInteraction[] TypeInteractions =
    [
        CapabilityStatement.TypeRestfulInteraction.Read,
        CapabilityStatement.TypeRestfulInteraction.Vread,
        CapabilityStatement.TypeRestfulInteraction.Update,
        CapabilityStatement.TypeRestfulInteraction.Delete,
        CapabilityStatement.TypeRestfulInteraction.HistoryInstance,
        CapabilityStatement.TypeRestfulInteraction.HistoryType,
        CapabilityStatement.TypeRestfulInteraction.Create,
        CapabilityStatement.TypeRestfulInteraction.SearchType,
    ];

    public CapabilityStatement Build(string baseUrl, string softwareVersion)
    {
        var statement = new CapabilityStatement
        {
            Status = PublicationStatus.Active,
            Date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd"),
            Kind = CapabilityStatementKind.Instance,
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml"],
            Software = new CapabilityStatement.SoftwareComponent { Name = "FhirCoordGateway", Version = softwareVersion },
            Implementation = new CapabilityStatement.ImplementationComponent
            {
                Description = "FhirCoordGateway: FHIR R4 gateway for coordinated care",
                Url = baseUrl,
            },
        };
        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Interaction = [new CapabilityStatement.SystemInteractionComponent { Code = CapabilityStatement.SystemRestfulInteraction.HistorySystem }],
        };
        foreach (var type in ResourceTypes.All)
        {
            rest.Resource.Add(Describe(type));
        }

        foreach (var contributor in contributors)
        {
            contributor.Contribute(rest);
        }

        statement.Rest.Add(rest);
        return statement;
    }

    private CapabilityStatement.ResourceComponent Describe(string type)
    {
        var resource = new CapabilityStatement.ResourceComponent
        {
            Type = type,
            Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
            ReadHistory = true,
            UpdateCreate = true,
            ConditionalCreate = true,
            ConditionalUpdate = true,
            ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.Single,
            ConditionalRead = CapabilityStatement.ConditionalReadStatus.NotSupported,
            Interaction = TypeInteractions.Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }).ToList(),
        };
        resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
        {
            Name = "_id",
            Type = SearchParamType.Token,
            Definition = "http://hl7.org/fhir/SearchParameter/Resource-id",
            Documentation = "Logical id of the resource; several ids separated by commas are ORed.",
        });
        foreach (var p in catalog.For(type))
        {
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
            {
                Name = p.Code,
                Type = p.Type,
                Definition = p.Url,
                Documentation = p.Description?.ToString(),
            });
        }

        return resource;
    }
}
