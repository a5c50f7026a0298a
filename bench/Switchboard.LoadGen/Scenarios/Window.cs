using System.Diagnostics;
using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// A measurement window: server and generator CPU time (utime + stime from /proc), wall time, and for
/// .NET servers the GC's allocation counters, between <see cref="StartAsync"/> and <see cref="StopAsync"/>.
/// </summary>
internal sealed class Window
{
    private readonly Target _target;
    private DebugStats? _stats0;
    private double _server0;
    private double[] _extra0 = [];
    private double _generator0;
    private long _serverSwitches0;
    private long _generatorSwitches0;
    private long _clock0;

    private Window(Target target) => _target = target;

    public double ServerCpuSeconds { get; private set; }

    public double GeneratorCpuSeconds { get; private set; }

    /// <summary>The CPU of each of <see cref="Target.ExtraPids"/> (included in <see cref="ServerCpuSeconds"/>).</summary>
    public double[] ExtraCpuSeconds { get; private set; } = [];

    public double WallSeconds { get; private set; }

    /// <summary>Voluntary context switches of the server's threads (and of <see cref="Target.ExtraPids"/>) in the window.</summary>
    public long ServerSwitches { get; private set; }

    /// <summary>Voluntary context switches of the generator's threads in the window.</summary>
    public long GeneratorSwitches { get; private set; }

    public long? AllocatedBytes { get; private set; }

    /// <summary>Thread-pool work items the server completed in the window (.NET servers): one per hand-off to the pool.</summary>
    public long? WorkItems { get; private set; }

    public int? Gen0 { get; private set; }

    public int? Gen1 { get; private set; }

    public int? Gen2 { get; private set; }

    /// <summary>Time the server's threads were paused for the GC in the window (blocking collections and the pauses of background ones).</summary>
    public double? GcPauseSeconds { get; private set; }

    public bool HasServerCpu => _target.Pid is not null;

    public static async Task<Window> StartAsync(Target target)
    {
        var window = new Window(target);
        window._stats0 = await DebugStats.ReadAsync(target.DebugStatsUri);
        window._server0 = target.Pid is { } pid ? ServerCpu(target, pid) : 0;
        window._extra0 = [.. target.ExtraPids.Select(ProcessStats.CpuSeconds)];
        window._generator0 = ProcessStats.SelfCpuSeconds();
        window._serverSwitches0 = ServerSwitchCount(target);
        window._generatorSwitches0 = ProcessStats.VoluntarySwitches(Environment.ProcessId);
        window._clock0 = Stopwatch.GetTimestamp();
        return window;
    }

    private static long ServerSwitchCount(Target target) =>
        target.Pid is { } pid ? ProcessStats.VoluntarySwitches(pid) + target.ExtraPids.Sum(ProcessStats.VoluntarySwitches) : 0;

    private static double ServerCpu(Target target, int pid) => ProcessStats.CpuSeconds(pid) + target.ExtraPids.Sum(ProcessStats.CpuSeconds);

    public async Task StopAsync()
    {
        WallSeconds = Stopwatch.GetElapsedTime(_clock0).TotalSeconds;
        ServerCpuSeconds = _target.Pid is { } pid ? ServerCpu(_target, pid) - _server0 : double.NaN;
        ExtraCpuSeconds = [.. _target.ExtraPids.Select((p, i) => ProcessStats.CpuSeconds(p) - _extra0[i])];
        GeneratorCpuSeconds = ProcessStats.SelfCpuSeconds() - _generator0;
        ServerSwitches = ServerSwitchCount(_target) - _serverSwitches0;
        GeneratorSwitches = ProcessStats.VoluntarySwitches(Environment.ProcessId) - _generatorSwitches0;
        var stats = await DebugStats.ReadAsync(_target.DebugStatsUri);
        if (_stats0 is not null && stats is not null)
        {
            AllocatedBytes = stats.AllocatedBytes - _stats0.AllocatedBytes;
            WorkItems = stats.CompletedWorkItems - _stats0.CompletedWorkItems;
            Gen0 = stats.Gen0 - _stats0.Gen0;
            Gen1 = stats.Gen1 - _stats0.Gen1;
            Gen2 = stats.Gen2 - _stats0.Gen2;
            GcPauseSeconds = (stats.GcPauseMs - _stats0.GcPauseMs) / 1000;
        }
    }

    /// <summary>
    /// Writes the per-unit metrics for <paramref name="units"/> units of work done in the window; every
    /// key ends with <paramref name="suffix"/> (the saturation window has none, a fixed-rate phase
    /// <c>@fixed</c>, an in-flight row <c>@if64</c>).
    /// </summary>
    public void Report(ScenarioResult result, string unit, string plural, long units, double microsecondsScale = 1e6, string suffix = "")
    {
        var m = result.Metrics;
        m[$"{plural}{suffix}"] = units;
        m[$"{plural}_per_s{suffix}"] = units / WallSeconds;
        m[$"wall_s{suffix}"] = WallSeconds;
        m[$"generator_cpu_pct{suffix}"] = 100 * GeneratorCpuSeconds / WallSeconds;
        if (units > 0)
        {
            m[$"generator_us_per_{unit}{suffix}"] = microsecondsScale * GeneratorCpuSeconds / units;
            // How often a thread went to sleep per unit of work: a server (or generator) that blocks
            // and is woken for every message pays the wake-up each time; one that is busy batches.
            m[$"generator_vcsw_per_{unit}{suffix}"] = (double)GeneratorSwitches / units;
            if (HasServerCpu)
            {
                m[$"server_vcsw_per_{unit}{suffix}"] = (double)ServerSwitches / units;
            }
        }
        if (HasServerCpu)
        {
            m[$"server_cpu_pct{suffix}"] = 100 * ServerCpuSeconds / WallSeconds;
            for (var i = 0; i < ExtraCpuSeconds.Length; i++)
            {
                // S6: the share of the second node (extra 0) and of Redis (extra 1) in the server's CPU.
                m[$"extra{i}_cpu_share_pct{suffix}"] = 100 * ExtraCpuSeconds[i] / ServerCpuSeconds;
            }
            if (units > 0)
            {
                m[$"us_per_{unit}{suffix}"] = microsecondsScale * ServerCpuSeconds / units;
                m[$"{plural}_per_cpu_s{suffix}"] = units / Math.Max(ServerCpuSeconds, 1e-9);
            }
        }
        if (AllocatedBytes is { } bytes && units > 0)
        {
            m[$"alloc_bytes_per_{unit}{suffix}"] = (double)bytes / units;
            // Hand-offs to the server's thread pool per unit: a count that does not depend on how busy the machine is.
            m[$"server_work_items_per_{unit}{suffix}"] = (double)WorkItems!.Value / units;
            m[$"gen0_per_s{suffix}"] = Gen0!.Value / WallSeconds;
            m[$"gen1_collections{suffix}"] = Gen1!.Value;
            m[$"gen2_collections{suffix}"] = Gen2!.Value;
            if (HasServerCpu && ServerCpuSeconds > 0)
            {
                // On one core a blocking collection's pause is CPU time spent by the GC.
                m[$"gc_pause_cpu_share_pct{suffix}"] = 100 * GcPauseSeconds!.Value / ServerCpuSeconds;
            }
        }
    }
}
