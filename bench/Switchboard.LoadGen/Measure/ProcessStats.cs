using System.Globalization;
using System.Runtime.InteropServices;

namespace Switchboard.LoadGen.Measure;

/// <summary>CPU time and resident memory of a process, from /proc (Linux).</summary>
internal static partial class ProcessStats
{
    private const int ScClkTck = 2;

    public static readonly double TicksPerSecond = ReadTicksPerSecond();

    public static bool Available => OperatingSystem.IsLinux() && File.Exists("/proc/self/stat");

    /// <summary>utime + stime of the process (all its threads, live and exited), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    public static double SelfCpuSeconds() => CpuSeconds(Environment.ProcessId);

    /// <summary>
    /// Voluntary context switches of the process's live threads (each one a thread that blocked: an
    /// <c>epoll_wait</c> with nothing ready, a futex wait), summed from <c>/proc/PID/task/*/status</c>.
    /// A thread that exits takes its count with it, so a difference over a window can be low by that.
    /// </summary>
    public static long VoluntarySwitches(int pid)
    {
        long total = 0;
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (var task in tasks)
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim(), CultureInfo.InvariantCulture);
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread exited while being read.
            }
        }
        return total;
    }

    /// <summary>VmRSS in bytes.</summary>
    public static long RssBytes(int pid) => StatusField(pid, "VmRSS:") * 1024;

    public static long Threads(int pid) => StatusField(pid, "Threads:");

    public static int OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static long StatusField(int pid, string name)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var value = line[name.Length..].Trim().Split(' ')[0];
                return long.Parse(value, CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    private static double ReadTicksPerSecond()
    {
        try
        {
            var ticks = sysconf(ScClkTck);
            return ticks > 0 ? ticks : 100;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 100;
        }
    }

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
