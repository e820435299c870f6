namespace FhirCoordGateway.Api.Validation;

/// <summary>
/// Where the local profiles are: <c>Fhir:ProfilesDirectory</c>, else the <c>profiles</c> folder of the
/// repository (found by walking up from the content root to FhirCoordGateway.sln), else <c>profiles</c> next to
/// the binary (the container image puts it there).
/// </summary>
public static class ProfilesFolder
{
    public static string? Find(IConfiguration configuration, IHostEnvironment environment)
    {
        if (configuration["Fhir:ProfilesDirectory"] is { Length: > 0 } configured)
        {
            return Directory.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"Fhir:ProfilesDirectory '{configured}' does not exist.");
        }

        for (var dir = new DirectoryInfo(environment.ContentRootPath); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")) && Directory.Exists(Path.Combine(dir.FullName, "profiles")))
            {
                return Path.Combine(dir.FullName, "profiles");
            }
        }

        var besideBinary = Path.Combine(AppContext.BaseDirectory, "profiles");
        return Directory.Exists(besideBinary) ? besideBinary : null;
    }
}
