using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using FhirCoordGateway.Validation;
using FhirCoordGateway.Validation.CoreDefinitions;
using FhirCoordGateway.Validation.Registry;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace FhirCoordGateway.Validation.Benchmarks;

/// <summary>
/// Profile validation vs the SDK's Strict JSON parse of the same resource, in the same run, on one core.
/// <c>dotnet run -c Release -- startup</c> measures start-up and memory of the loaded validator;
/// <c>-- quick</c> a Stopwatch loop; anything else goes to BenchmarkDotNet (e.g. <c>-- --filter *</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["startup", ..]) return Startup.Run();
        if (args is ["quick", ..]) return Quick.Run(args.Length > 1 ? int.Parse(args[1]) : 3000);
        if (args is ["breakdown", ..]) return Quick.Breakdown(args.Length > 1 ? int.Parse(args[1]) : 2000);
        if (args is ["loop", var which, var n]) return Quick.Loop(which, int.Parse(n));
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args,
            DefaultConfig.Instance.AddJob(Job.Default.WithAffinity(1)).WithOptions(ConfigOptions.DisableOptimizationsValidator));
        return 0;
    }
}

/// <summary>The two resources of the benchmark, from profiles/examples, and a validator loaded with profiles/.</summary>
internal static class Inputs
{
    public const string InsPatient = "fhircoord-patient-ins/valid-lefebvre-qualified-nir.json";
    public const string PpsCarePlan = "fhircoord-careplan-pps/valid-lefebvre-validated.json";

    public static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FhirCoordGateway.sln"))) return dir.FullName;
        throw new InvalidOperationException("FhirCoordGateway.sln not found");
    }

    public static string Json(string example) => File.ReadAllText(Path.Combine(RepoRoot(), "profiles", "examples", example));

    public static FhirProfileValidator LoadValidator()
    {
        var registry = new ProfileRegistry();
        var load = registry.LoadDirectory(Path.Combine(RepoRoot(), "profiles"));
        if (!load.Success) throw new InvalidOperationException(string.Join("\n", load.Outcome.Issue.Select(i => i.Diagnostics)));
        return new FhirProfileValidator(registry);
    }

    /// <summary>One validation per local profile example: compiles profiles, expands bound ValueSets.</summary>
    public static void WarmUp(FhirProfileValidator validator)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoRoot(), "profiles", "examples"), "valid*.json", SearchOption.AllDirectories))
            validator.Validate(Strict.DeserializeResource(File.ReadAllText(file)));
    }
}

[MemoryDiagnoser]
public class ParseVsValidate
{
    private string _json = "";
    private Resource _resource = null!;
    private FhirProfileValidator _validator = null!;

    [Params(Inputs.InsPatient, Inputs.PpsCarePlan)]
    public string Example { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _json = Inputs.Json(Example);
        _resource = Inputs.Strict.DeserializeResource(_json);
        _validator = Inputs.LoadValidator();
        Inputs.WarmUp(_validator);
        if (_validator.Validate(_resource).HasErrors) throw new InvalidOperationException($"{Example} is not valid");
    }

    [Benchmark(Baseline = true)]
    public Resource StrictParse() => Inputs.Strict.DeserializeResource(_json);

    [Benchmark]
    public ValidationResult Validate() => _validator.Validate(_resource);
}

/// <summary>Start-up time (core index + profiles/ snapshots + warm-up) and memory of the loaded validator.</summary>
internal static class Startup
{
    public static int Run()
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var sw = Stopwatch.StartNew();
        _ = CoreDefinitionSource.Shared.Count;
        var coreMs = sw.Elapsed.TotalMilliseconds;
        var validator = Inputs.LoadValidator();
        var loadMs = sw.Elapsed.TotalMilliseconds;
        Inputs.WarmUp(validator);
        var warmMs = sw.Elapsed.TotalMilliseconds;
        long after = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"core index: {coreMs:F0} ms; + profiles/ load and snapshots: {loadMs:F0} ms; + warm-up (one validation per example): {warmMs:F0} ms");
        Console.WriteLine($"managed heap of the loaded, warmed validator: {(after - before) / 1048576.0:F1} MiB; process working set: {process.WorkingSet64 / 1048576.0:F0} MiB; peak: {process.PeakWorkingSet64 / 1048576.0:F0} MiB");
        // Again, with the JIT warm: what start-up would cost without first-call compilation.
        sw.Restart();
        var again = Inputs.LoadValidator();
        Console.WriteLine($"second profiles/ load in the same process (JIT warm): {sw.Elapsed.TotalMilliseconds:F0} ms");
        GC.KeepAlive(validator);
        GC.KeepAlive(again);
        return 0;
    }
}

/// <summary>A Stopwatch loop for a quick look without BenchmarkDotNet (same thread, after warm-up).</summary>
internal static class Quick
{
    public static int Run(int iterations)
    {
        var validator = Inputs.LoadValidator();
        Inputs.WarmUp(validator);
        foreach (var example in new[] { Inputs.InsPatient, Inputs.PpsCarePlan })
        {
            var json = Inputs.Json(example);
            var resource = Inputs.Strict.DeserializeResource(json);
            double parse = Measure(iterations, () => Inputs.Strict.DeserializeResource(json));
            double validate = Measure(iterations, () => validator.Validate(resource));
            Console.WriteLine($"{example}: strict parse {parse:F1} µs ({1e6 / parse:F0}/s), validate {validate:F1} µs ({1e6 / validate:F0}/s), ratio {validate / parse:F2}");
        }
        return 0;
    }

    /// <summary>Validates one example in a loop (for a profiler: dotnet-trace collect -- ... loop patient 200000).</summary>
    public static int Loop(string which, int iterations)
    {
        var validator = Inputs.LoadValidator();
        Inputs.WarmUp(validator);
        var resource = Inputs.Strict.DeserializeResource(Inputs.Json(which == "patient" ? Inputs.InsPatient : Inputs.PpsCarePlan));
        for (int i = 0; i < iterations; i++) validator.Validate(resource);
        return 0;
    }

    /// <summary>Where validation time goes: with and without FHIRPath invariants, per invariant key.</summary>
    public static int Breakdown(int iterations)
    {
        var validator = Inputs.LoadValidator();
        Inputs.WarmUp(validator);
        var noInvariants = new FhirProfileValidator(validator.Registry, new FhirProfileValidatorOptions { EvaluateInvariants = false });
        foreach (var example in new[] { Inputs.InsPatient, Inputs.PpsCarePlan })
        {
            var resource = Inputs.Strict.DeserializeResource(Inputs.Json(example));
            double all = Measure(iterations, () => validator.Validate(resource));
            double without = Measure(iterations, () => noInvariants.Validate(resource));
            Console.WriteLine($"{example}: validate {all:F1} µs, without invariants {without:F1} µs");
            var timings = new System.Collections.Concurrent.ConcurrentDictionary<string, (long Ticks, int Count)>();
            var timed = new FhirProfileValidator(validator.Registry, new FhirProfileValidatorOptions { InvariantTimings = timings });
            for (int i = 0; i < iterations; i++) timed.Validate(resource);
            foreach (var (key, (ticks, count)) in timings.OrderByDescending(t => t.Value.Ticks).Take(12))
                Console.WriteLine($"   {key,-12} {ticks * 1e6 / Stopwatch.Frequency / iterations,8:F1} µs per validation, {count / iterations} evaluation(s)");
        }
        return 0;
    }

    private static double Measure(int iterations, Action action)
    {
        for (int i = 0; i < iterations / 10; i++) action();
        var best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++) action();
            best = Math.Min(best, sw.Elapsed.TotalMicroseconds / iterations);
        }
        return best;
    }
}
