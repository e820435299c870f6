using System.Globalization;

namespace FhirCoordGateway.Benchmarks;

/// <summary>
/// CPU time spent by each side of the benchmark, read from /proc (Linux): this driver, the gateway process,
/// the PostgreSQL postmaster and its children (the backends), and the whole machine. What the machine spent
/// beyond those three is "other" — other work on a shared machine that disturbs the figures.
/// </summary>
public sealed class CpuSampler(int? gatewayPid, int? postmasterPid)
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ: 100 on every mainstream Linux kernel

    public readonly record struct Sample(double Driver, double Gateway, double Postgres, double MachineBusy, double MachineTotal);

    public static bool Available => File.Exists("/proc/stat");

    public Sample Take()
    {
        if (!Available)
        {
            return default;
        }

        var driver = ProcessSeconds(Environment.ProcessId) ?? 0;
        var gateway = gatewayPid is { } g ? ProcessSeconds(g) ?? 0 : 0;
        var postgres = postmasterPid is { } p ? PostgresSeconds(p) : 0;
        var (busy, total) = Machine();
        return new Sample(driver, gateway, postgres, busy, total);
    }

    /// <summary>utime + stime of one process, in seconds; null if it is gone.</summary>
    private static double? ProcessSeconds(int pid)
    {
        var fields = StatFields(pid);
        return fields is null ? null : (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>The fields of /proc/pid/stat after the command name: [0] is state, [1] ppid, [11] utime, [12] stime.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double PostgresSeconds(int postmaster)
    {
        var total = ProcessSeconds(postmaster) ?? 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == postmaster)
            {
                continue;
            }

            var fields = StatFields(pid);
            if (fields is not null && fields[1] == postmaster.ToString(CultureInfo.InvariantCulture))
            {
                total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
        }

        return total;
    }

    /// <summary>Busy and total CPU seconds of the machine (all cores) from the first line of /proc/stat.</summary>
    private static (double Busy, double Total) Machine()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var idle = v[3] + (v.Length > 4 ? v[4] : 0);
        var total = v.Take(8).Sum();
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }
}
