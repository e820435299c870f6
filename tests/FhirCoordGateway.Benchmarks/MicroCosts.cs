using System.Diagnostics;
using System.Text.Json;
using FhirCoordGateway.Core.Interactions;
using FhirCoordGateway.Core.Search;
using FhirCoordGateway.Validation;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Benchmarks;

/// <summary>
/// The CPU the gateway spends on one Patient outside HTTP and SQL, measured in this process on one thread
/// with the gateway's own code paths: strict parse (as FhirBodyReader), token extraction (SearchIndexer),
/// serialization (ResourceJson). It tells how much of a create or update is FHIR model work.
/// </summary>
public static class MicroCosts
{
    public sealed record Cost(string Step, double CpuMicrosecondsPerOp, double WallMicrosecondsPerOp, double KilobytesAllocatedPerOp);

    public static IReadOnlyList<Cost> Measure(PatientGenerator generator, int iterations)
    {
        var bodies = Enumerable.Range(0, 256).Select(i => generator.Build(20_000_000 + i)).ToArray();
        var strict = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
        var noOverflow = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.NoOverflow));
        var ostrich = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));
        var indexer = new SearchIndexer(new SearchParameterCatalog());
        var parsed = bodies.Select(b => Parse(strict, b)).ToArray();
        var stored = parsed.Select(ResourceJson.Serialize).ToArray();

        // The profile validator as the gateway builds it: R4 core plus the repository's profiles folder.
        var registry = new ProfileRegistry();
        var profiles = ProfilesFolder();
        if (profiles is not null && !registry.LoadDirectory(profiles).Success)
        {
            profiles = null;
        }

        var validator = new FhirProfileValidator(registry);
        var issues = validator.Validate(parsed[0]).Issues;
        Console.Error.WriteLine($"[bench] profile validation of a generated Patient ({(profiles ?? "no profiles folder")}): {issues.Count} issue(s){string.Concat(issues.Take(5).Select(i => Environment.NewLine + "    " + i))}");

        (string Step, Action<int> Action)[] steps =
        [
            ("System.Text.Json JsonDocument.Parse (reference: bare JSON parse)", i =>
            {
                using var doc = JsonDocument.Parse(bodies[i % bodies.Length]);
            }),
            ("Firely strict parse to POCO (FhirBodyReader)", i => Parse(strict, bodies[i % bodies.Length])),
            ("  for comparison: same parse in NoOverflow mode", i => Parse(noOverflow, bodies[i % bodies.Length])),
            ("  for comparison: same parse in Ostrich mode", i => Parse(ostrich, bodies[i % bodies.Length])),
            ("Profile validation (FhirProfileValidator.Validate: the write path's IResourceValidator)", i => validator.Validate(parsed[i % parsed.Length])),
            ("Search index extraction (SearchIndexer.Extract: all Patient parameters, FHIRPath)", i => indexer.Extract(parsed[i % parsed.Length])),
            ("Firely serialize to JSON (ResourceJson.Serialize)", i => ResourceJson.Serialize(parsed[i % parsed.Length])),
            ("Firely lenient parse of stored JSON (ResourceJson.Parse)", i => ResourceJson.Parse(stored[i % stored.Length])),
        ];

        // Warm up every step together for a few seconds: the SDK's code takes seconds of steady calls before
        // tiered compilation has installed optimized code everywhere, and longer on a busy machine.
        var warm = Stopwatch.StartNew();
        for (var i = 0; warm.Elapsed < TimeSpan.FromSeconds(5); i++)
        {
            foreach (var step in steps)
            {
                step.Action(i);
            }
        }

        return steps.Select(step => Time(step.Step, iterations, step.Action)).ToList();
    }

    /// <summary>The profiles folder of the source tree this driver was built from (walking up to FhirCoordGateway.sln).</summary>
    private static string? ProfilesFolder()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln")))
                {
                    var profiles = Path.Combine(dir.FullName, "profiles");
                    return Directory.Exists(profiles) ? profiles : null;
                }
            }
        }

        return null;
    }

    private static Resource Parse(FhirJsonDeserializer deserializer, byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        return deserializer.DeserializeResource(ref reader);
    }

    /// <summary>At least <paramref name="iterations"/> calls and 1.5 s; CPU time of the process (not wall time, which
    /// other work on the machine inflates) per call, and bytes allocated by this thread per call.</summary>
    private static Cost Time(string step, int iterations, Action<int> action)
    {
        using var process = Process.GetCurrentProcess();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var n = 0;
        while (n < iterations || clock.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            action(n++);
        }

        process.Refresh();
        var cpuMicroseconds = (process.TotalProcessorTime - cpu).TotalMicroseconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return new Cost(step, cpuMicroseconds / n, clock.Elapsed.TotalMicroseconds / n, allocated / 1024.0 / n);
    }
}
