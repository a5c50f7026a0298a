using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// S1: as many idle connections as the machine allows, each in a room (rooms of 100); the server's
/// resident memory per connection and its CPU while they sit idle through a heartbeat period.
/// </summary>
internal sealed class IdleScenario : Scenario
{
    public override string Id => "S1";

    public override string Describe(ScenarioSettings s) =>
        $"{s.IdleConnections} idle connections in rooms of {s.IdleRoomSize}; RSS per connection, CPU over {s.IdleWindow.TotalSeconds:0} s idle";

    public override async Task RunAsync(ScenarioContext context, ScenarioResult result)
    {
        var (target, settings, progress, cancellation) = context;
        var counters = new Counters();
        string Room(int i) => $"idle-{i / settings.IdleRoomSize}";

        // Warm the code paths first, so the baseline holds the compiled code and the pools.
        progress.Stage = "warm-up";
        using (await Fleet.OpenAsync(Math.Min(100, settings.IdleConnections), _ => context.NewClient(counters), _ => target.ClientUri,
            Room, settings.ConnectParallelism, counters, progress, cancellation))
        {
        }
        counters.Closing = false;
        await Task.Delay(settings.Smoke ? 200 : 1000, cancellation);

        var rss0 = target.Pid is { } p0 ? ProcessStats.RssBytes(p0) : 0;
        var managed0 = await DebugStats.ReadAsync(target.DebugStatsUri, collect: true);

        progress.Stage = "connect";
        using var fleet = await Fleet.OpenAsync(settings.IdleConnections, _ => context.NewClient(counters), _ => target.ClientUri,
            Room, settings.ConnectParallelism, counters, progress, cancellation);
        CheckFleet(result, fleet, "connections");
        result.Metrics["connections"] = fleet.Opened;
        result.Metrics["connect_per_s"] = fleet.Opened / fleet.Elapsed.TotalSeconds;

        progress.Stage = "settle";
        await Task.Delay(settings.IdleSettle, cancellation);
        var rssLoaded = target.Pid is { } p1 ? ProcessStats.RssBytes(p1) : 0;

        progress.Stage = $"idle {settings.IdleWindow.TotalSeconds:0}s";
        progress.Detail = () => $"{fleet.Opened} connections, {counters.UnexpectedCloses} dropped";
        var window = await Window.StartAsync(target);
        await Task.Delay(settings.IdleWindow, cancellation);
        await window.StopAsync();

        if (target.Pid is { } pid && fleet.Opened > 0)
        {
            var rss = ProcessStats.RssBytes(pid);
            result.Metrics["rss_base_mb"] = rss0 / 1048576.0;
            result.Metrics["rss_mb"] = rss / 1048576.0;
            result.Metrics["rss_per_conn_kb"] = (rss - rss0) / 1024.0 / fleet.Opened;
            result.Metrics["rss_per_conn_kb_before_idle"] = (rssLoaded - rss0) / 1024.0 / fleet.Opened;
            result.Metrics["idle_cpu_pct"] = 100 * window.ServerCpuSeconds / window.WallSeconds;
            result.Metrics["server_threads"] = ProcessStats.Threads(pid);
            result.Metrics["server_open_files"] = ProcessStats.OpenFiles(pid);
        }
        result.Metrics["generator_cpu_pct"] = 100 * window.GeneratorCpuSeconds / window.WallSeconds;
        var managed = await DebugStats.ReadAsync(target.DebugStatsUri, collect: true);
        if (managed0 is not null && managed is not null && fleet.Opened > 0)
        {
            result.Metrics["managed_per_conn_kb"] = (managed.ManagedBytes - managed0.ManagedBytes) / 1024.0 / fleet.Opened;
        }
        CheckCloses(result, counters);
    }
}
