using System.Globalization;
using System.Text;

namespace FhirCoordGateway.Benchmarks;

/// <summary>The Markdown the driver prints on stdout.</summary>
public static class Report
{
    public static string Markdown(BenchOptions options, IReadOnlyList<PhaseResult> results, IReadOnlyList<MicroCosts.Cost> micro, int bodyBytes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv($"Clients: {options.Clients} · warm-up {options.Warmup.TotalSeconds:0.#} s · measured {options.Duration.TotalSeconds:0.#} s per phase · Patient body {bodyBytes} B{(options.ClaimProfile ? " claiming fhircoord-patient-ins" : " without meta.profile")} · {Environment.ProcessorCount} CPU(s) shared by driver, gateway and PostgreSQL"));
        sb.AppendLine();
        // With several rounds, each phase is reported by its median round (by throughput); "best" is its fastest round.
        var phases = results.GroupBy(r => r.Name).Select(g =>
        {
            var ordered = g.OrderBy(r => r.Throughput).ToArray();
            return (Median: ordered[(ordered.Length - 1) / 2], Best: ordered[^1], All: g.OrderBy(r => r.Round).ToArray());
        }).ToArray();
        var rounds = options.Rounds;
        sb.AppendLine(rounds == 1
            ? "| Phase | Ops | Errors | Throughput (ops/s) | p50 (ms) | p99 (ms) |"
            : "| Phase (median of " + rounds + " rounds) | Ops | Errors | Throughput (ops/s) | p50 (ms) | p99 (ms) | Best round (ops/s) |");
        sb.AppendLine(rounds == 1 ? "| --- | ---: | ---: | ---: | ---: | ---: |" : "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (r, best, _) in phases)
        {
            sb.AppendLine(Inv($"| {r.Name} | {r.Ops} | {r.Errors} | {r.Throughput:0.0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} |{(rounds == 1 ? "" : Inv($" {best.Throughput:0.0} |"))}"));
        }

        sb.AppendLine();
        sb.AppendLine(rounds == 1 ? "| Ratio (throughput) | Value | Target | Met |" : "| Ratio (throughput) | Median rounds | Best rounds | Target | Met (median) |");
        sb.AppendLine(rounds == 1 ? "| --- | ---: | ---: | --- |" : "| --- | ---: | ---: | ---: | --- |");
        var medians = phases.Select(p => p.Median).ToArray();
        var bests = phases.Select(p => p.Best).ToArray();
        Ratio(sb, medians, rounds == 1 ? null : bests, "HTTP create / raw INSERT", "HTTP create", "raw INSERT", 0.5);
        Ratio(sb, medians, rounds == 1 ? null : bests, "HTTP read / raw SELECT", "HTTP read", "raw SELECT", 0.6);
        Ratio(sb, medians, rounds == 1 ? null : bests, "HTTP update / raw INSERT (no target)", "HTTP update", "raw INSERT", null);

        if (CpuSampler.Available && options.GatewayPid is not null && options.PostmasterPid is not null)
        {
            // Robust to other work on the machine: what each operation costs in CPU across driver, gateway and
            // PostgreSQL, and the throughput that CPU would allow if all the cores served this benchmark alone.
            static double CpuPerOp(PhaseResult r) => r.Ops == 0 ? double.NaN
                : ((r.CpuAfter.Driver - r.CpuBefore.Driver) + (r.CpuAfter.Gateway - r.CpuBefore.Gateway) + (r.CpuAfter.Postgres - r.CpuBefore.Postgres)) / r.Ops;
            double Bound(string name) => phases.First(p => p.Median.Name.StartsWith(name, StringComparison.Ordinal)).All.Select(CpuPerOp).Order().ElementAt((rounds - 1) / 2);
            sb.AppendLine(Inv($"| CPU-normalised: create / INSERT (CPU per op of driver+gateway+PostgreSQL, median round) | {Bound("raw INSERT") / Bound("HTTP create"):0.00} |{(rounds == 1 ? "" : " |")} ≥ 0.5 | (estimate) |"));
            sb.AppendLine(Inv($"| CPU-normalised: read / SELECT | {Bound("raw SELECT") / Bound("HTTP read"):0.00} |{(rounds == 1 ? "" : " |")} ≥ 0.6 | (estimate) |"));
        }

        if (CpuSampler.Available)
        {
            sb.AppendLine();
            sb.AppendLine("CPU per operation (ms of CPU time, from /proc; \"other\" = machine busy time outside the three processes, i.e. other work on the machine):");
            sb.AppendLine();
            sb.AppendLine("| Phase | Round | Throughput (ops/s) | Machine busy | Driver | Gateway | PostgreSQL | Other |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in phases.SelectMany(p => p.All).Where(r => r.Ops > 0).OrderBy(r => r.Round))
            {
                var (a, b) = (r.CpuBefore, r.CpuAfter);
                double PerOp(double seconds) => seconds * 1000 / r.Ops;
                var driver = b.Driver - a.Driver;
                var gateway = b.Gateway - a.Gateway;
                var postgres = b.Postgres - a.Postgres;
                var busy = b.MachineBusy - a.MachineBusy;
                var total = b.MachineTotal - a.MachineTotal;
                // A backend that exits during the window takes its CPU time with it: the PostgreSQL figure is then unknown.
                var postgresKnown = options.PostmasterPid is not null && postgres >= 0;
                sb.AppendLine(Inv(
                    $"| {r.Name} | {r.Round} | {r.Throughput:0.0} | {(total > 0 ? busy / total : 0):P0} | {PerOp(driver):0.000} | {(options.GatewayPid is null ? "n/a" : PerOp(gateway).ToString("0.000", CultureInfo.InvariantCulture))} | {(postgresKnown ? PerOp(postgres).ToString("0.000", CultureInfo.InvariantCulture) : "n/a")} | {(postgresKnown ? PerOp(Math.Max(0, busy - driver - gateway - postgres)).ToString("0.000", CultureInfo.InvariantCulture) : "n/a")} |"));
            }
        }

        if (micro.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine(Inv($"In-process cost of the gateway's FHIR model work on one Patient (one thread, ≥ {options.MicroIterations} calls and ≥ 1.5 s per step after a 5 s warm-up; CPU time of the driver process per call):"));
            sb.AppendLine();
            sb.AppendLine("| Step | CPU µs/op | wall µs/op | KB allocated/op |");
            sb.AppendLine("| --- | ---: | ---: | ---: |");
            foreach (var c in micro)
            {
                sb.AppendLine(Inv($"| {c.Step} | {c.CpuMicrosecondsPerOp:0.0} | {c.WallMicrosecondsPerOp:0.0} | {c.KilobytesAllocatedPerOp:0.0} |"));
            }
        }

        return sb.ToString();
    }

    private static void Ratio(
        StringBuilder sb, PhaseResult[] medians, PhaseResult[]? bests, string label, string numerator, string denominator, double? target)
    {
        static double? Of(PhaseResult[] set, string numerator, string denominator)
        {
            var n = set.FirstOrDefault(r => r.Name.StartsWith(numerator, StringComparison.Ordinal));
            var d = set.FirstOrDefault(r => r.Name.StartsWith(denominator, StringComparison.Ordinal));
            return n is null || d is null || d.Throughput <= 0 ? null : n.Throughput / d.Throughput;
        }

        if (Of(medians, numerator, denominator) is not { } value)
        {
            return;
        }

        var met = target is null ? "—" : value >= target ? "yes" : Inv($"no: {value / target.Value:P0} of the target");
        var goal = target is null ? "—" : "≥ " + target.Value.ToString("0.0", CultureInfo.InvariantCulture);
        sb.AppendLine(bests is null
            ? Inv($"| {label} | {value:0.00} | {goal} | {met} |")
            : Inv($"| {label} | {value:0.00} | {Of(bests, numerator, denominator) ?? double.NaN:0.00} | {goal} | {met} |"));
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
