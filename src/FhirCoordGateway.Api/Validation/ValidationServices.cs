using FhirCoordGateway.Core.Capabilities;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Core.Storage;
using FhirCoordGateway.Validation;
using FhirCoordGateway.Validation.Registry;
using FhirCoordGateway.Validation.Terminology;

namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// Registers the profile validator (section <c>Validation</c>) and loads, at start-up, the profiles folder and then
/// the conformance resources stored through the API.
/// </summary>
public static class ValidationServices
{
    public static void AddProfileValidation(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var options = new FhirProfileValidatorOptions();
        builder.Configuration.GetSection("Validation").Bind(options);
        services.AddSingleton(options);
        services.AddSingleton<ProfileRegistry>();
        services.AddSingleton<FhirProfileValidator>();
        services.AddSingleton<TerminologyOperations>();
        services.AddSingleton<ProfileValidationAdapter>();
        services.AddSingleton<IResourceValidator>(sp => sp.GetRequiredService<ProfileValidationAdapter>());
        services.AddSingleton<ConformanceRegistryUpdater>();
        services.AddSingleton<ICommittedWritesObserver>(sp => sp.GetRequiredService<ConformanceRegistryUpdater>());
        services.AddSingleton<ICapabilityContributor, ValidationCapabilities>();
    }

    /// <summary>Fails start-up when a local profile is rejected: serving with a broken profile would validate wrongly.</summary>
    public static async Task LoadConformanceResourcesAsync(this WebApplication app, CancellationToken ct)
    {
        var registry = app.Services.GetRequiredService<ProfileRegistry>();
        var logger = app.Services.GetRequiredService<ILogger<ProfileRegistry>>();
        var folder = ProfilesFolder.Find(app.Configuration, app.Environment);
        if (folder is not null)
        {
            var loaded = registry.LoadDirectory(folder);
            if (!loaded.Success)
            {
                throw new InvalidOperationException(
                    $"Profiles in {folder} were rejected: {string.Join("; ", loaded.Outcome.Issue.Select(i => i.Diagnostics ?? i.Details?.Text))}");
            }

            logger.LogInformation("Loaded {Count} conformance resources from the profiles folder", loaded.Accepted.Count);
        }
        else
        {
            logger.LogWarning("No profiles folder found; validating against the R4 core definitions only");
        }

        var store = app.Services.GetRequiredService<IResourceStore>();
        var stored = new List<StoredResource>();
        foreach (var type in ConformanceRegistryUpdater.ConformanceTypes)
        {
            stored.AddRange(await store.SearchAsync(new SearchQuery(type, []), 100_000, ct));
        }

        var result = app.Services.GetRequiredService<ConformanceRegistryUpdater>().Load(stored);
        foreach (var rejected in result.Rejected)
        {
            logger.LogWarning("Stored conformance resource {Canonical} is not accepted by the validator", rejected);
        }
    }
}
