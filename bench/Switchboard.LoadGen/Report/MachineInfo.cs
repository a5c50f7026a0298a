using System.Diagnostics;
using System.Globalization;

namespace Switchboard.LoadGen.Report;

/// <summary>The machine a run happened on, as far as /proc and the tools tell.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, double MemoryGiB, string Os, string Kernel, string DotNet, string Node, string OpenFilesLimit, string LoadAverage, string? Revision = null)
{
    public static MachineInfo Read() => new(
        FirstValue("/proc/cpuinfo", "model name") ?? "unknown",
        Lines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal)),
        Math.Round(double.Parse(FirstValue("/proc/meminfo", "MemTotal")?.Split(' ')[0] ?? "0", CultureInfo.InvariantCulture) / 1048576, 1),
        (FirstValue("/etc/os-release", "PRETTY_NAME", '=') ?? "").Trim('"'),
        Read("/proc/sys/kernel/osrelease"),
        Environment.Version.ToString(),
        Tool("node", "--version"),
        Lines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal)) is { } l
            ? string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3..5]) : "unknown",
        string.Join(' ', Read("/proc/loadavg").Split(' ').Take(3)),
        ReadRevision());

    /// <summary>The commit measured, and how many files under src/ differed from it.</summary>
    private static string ReadRevision()
    {
        var head = Tool("git", "rev-parse --short HEAD");
        var dirty = Tool("git", "status --porcelain -- src").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        return dirty == 0 ? head : $"{head} + {dirty} uncommitted file(s) under src/";
    }

    public static double LoadAverage1() =>
        double.TryParse(Read("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture, out var v) ? v : double.NaN;

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<string> Lines(string path) => Read(path).Split('\n');

    private static string? FirstValue(string path, string key, char separator = ':')
    {
        foreach (var line in Lines(path))
        {
            var at = line.IndexOf(separator);
            if (at > 0 && line[..at].Trim() == key)
            {
                return line[(at + 1)..].Trim();
            }
        }
        return null;
    }

    private static string Tool(string file, string args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true });
            var output = process!.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return output;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "not installed";
        }
    }
}
