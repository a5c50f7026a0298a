using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// S4: <c>echo(payload, ack)</c> round trips over 1k connections. Closed loop first (each connection
/// sends its next echo when the previous one comes back) for round trips per server CPU-second, then
/// a fixed offered rate for the round-trip time distribution.
/// </summary>
internal sealed class EchoScenario : Scenario
{
    public override string Id => "S4";

    public override string Describe(ScenarioSettings s) =>
        $"echo with ack over {s.EchoConnections} connections; round trips per server CPU-second at saturation, RTT at {Phases.Rate(s.FixedEchoRate)}";

    public override async Task RunAsync(ScenarioContext context, ScenarioResult result)
    {
        var (target, settings, progress, cancellation) = context;
        var counters = new Counters();
        progress.Stage = "connect";
        using var fleet = await Fleet.OpenAsync(settings.EchoConnections, _ => context.NewClient(counters), _ => target.ClientUri, _ => null,
            settings.ConnectParallelism, counters, progress, cancellation);
        CheckFleet(result, fleet, "connections");
        var clients = fleet.Open.ToArray();
        if (clients.Length == 0)
        {
            return;
        }

        progress.Stage = "warm-up";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long last = 0;
        progress.Detail = () =>
        {
            var e = counters.EchoReplies;
            var rate = (e - last) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
            last = e;
            clock.Restart();
            return $"{rate / 1000:0.0}k echoes/s";
        };
        counters.EchoLoop = true;
        foreach (var client in clients)
        {
            counters.SendEcho(client);
        }
        await Task.Delay(settings.Warmup, cancellation);
        progress.Stage = "saturate";
        var window = await Window.StartAsync(target);
        var e0 = counters.EchoReplies;
        await Task.Delay(settings.Measure, cancellation);
        var e1 = counters.EchoReplies;
        await window.StopAsync();
        counters.EchoLoop = false;
        window.Report(result, "echo", "echoes", e1 - e0);
        progress.Stage = "drain";
        if (!await Phases.UntilAsync(() => counters.EchoReplies >= counters.EchoesSent, settings.Drain))
        {
            result.Fail($"{counters.EchoesSent - counters.EchoReplies} of {counters.EchoesSent} echo acks missing after the saturation phase");
            return;
        }

        progress.Stage = $"latency {Phases.Rate(settings.FixedEchoRate)}";
        var histogram = new LatencyHistogram();
        counters.EchoLatency = histogram;
        var phase = await Window.StartAsync(target);
        await Phases.OpenLoopAsync(seq => counters.SendEcho(clients[seq % clients.Length]), settings.FixedEchoRate, settings.LatencyPhase);
        var drained = await Phases.UntilAsync(() => counters.EchoReplies >= counters.EchoesSent, settings.Drain);
        await phase.StopAsync();
        counters.EchoLatency = null;
        result.Metrics["rate@fixed"] = settings.FixedEchoRate;
        if (phase.HasServerCpu)
        {
            result.Metrics["server_cpu_pct@fixed"] = 100 * phase.ServerCpuSeconds / phase.WallSeconds;
        }
        Phases.ReportLatency(result, "@fixed", histogram);
        if (!drained)
        {
            result.Fail($"{counters.EchoesSent - counters.EchoReplies} echo acks missing after the latency phase");
        }
        result.Metrics["lost"] = counters.EchoesSent - counters.EchoReplies;
        CheckCloses(result, counters);
    }
}
