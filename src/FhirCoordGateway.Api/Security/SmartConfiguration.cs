using FhirCoordGateway.Api.Http;
using FhirCoordGateway.Core.Capabilities;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace FhirCoordGateway.Api.Security;

/// <summary>
/// Tells clients how to get a token: <c>[base]/.well-known/smart-configuration</c> and the CapabilityStatement's
/// <c>rest.security</c> (service SMART-on-FHIR, oauth-uris extension).
/// https://hl7.org/fhir/smart-app-launch/conformance.html
/// </summary>
public sealed class SmartConfiguration(IOptions<SecurityOptions> options) : ICapabilityContributor
{
    private const string OAuthUris = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(FhirBase.Path + "/.well-known/smart-configuration", (SmartConfiguration smart) => Results.Json(smart.Document()));

    public Dictionary<string, object> Document()
    {
        var value = options.Value;
        var document = new Dictionary<string, object>
        {
            ["grant_types_supported"] = new[] { "authorization_code", "client_credentials" },
            ["token_endpoint_auth_methods_supported"] = new[] { "private_key_jwt", "client_secret_basic" },
            ["response_types_supported"] = new[] { "code" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["scopes_supported"] = new[]
            {
                "openid", "fhirUser", "launch/patient", "patient/*.rs", "user/*.cruds", "system/*.cruds", "system/AuditEvent.rs", value.AdminScope,
            },
            ["capabilities"] = new[]
            {
                "launch-standalone", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
                "context-standalone-patient", "permission-patient", "permission-user", "permission-v1", "permission-v2",
            },
        };
        if (value.Smart.AuthorizationEndpoint is { } authorize)
        {
            document["authorization_endpoint"] = authorize.ToString();
        }

        if (value.Smart.TokenEndpoint is { } token)
        {
            document["token_endpoint"] = token.ToString();
        }

        return document;
    }

    public void Contribute(CapabilityStatement.RestComponent rest)
    {
        var smart = options.Value.Smart;
        var security = new CapabilityStatement.SecurityComponent
        {
            Cors = false,
            Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")],
            Description = "OAuth2 bearer tokens (SMART App Launch v2 scopes and v1 aliases) from the configured issuers; "
                + "patient/ scopes are confined to the token's patient compartment; French visibility labels apply by role; every access is audited.",
        };
        if (smart.TokenEndpoint is { } token)
        {
            var uris = new Extension { Url = OAuthUris };
            uris.Extension.Add(new Extension("token", new FhirUri(token)));
            if (smart.AuthorizationEndpoint is { } authorize)
            {
                uris.Extension.Add(new Extension("authorize", new FhirUri(authorize)));
            }

            security.Extension.Add(uris);
        }

        rest.Security = security;
    }
}
