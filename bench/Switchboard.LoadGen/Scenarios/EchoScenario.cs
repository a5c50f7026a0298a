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
        $"echo with ack over {s.EchoConnections} connections; round trips per server CPU-second at saturation (one in flight per connection)"
        + (s.InFlight.Count > 0 ? $" and with {string.Join(", ", s.InFlight)} echoes in flight over all the connections" : "")
        + $"; RTT and CPU per round trip at {Phases.Rate(s.FixedEchoRate)}";

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
        // Saturation: first one echo in flight on every connection, each reply sending the next on the
        // same connection; then each in-flight row: that many echoes in flight, each reply sending the
        // next on the next connection in turn, so every connection takes part at a partial load.
        var rows = new List<(int? InFlight, TimeSpan Warmup, string Suffix)> { (null, settings.Warmup, "") };
        rows.AddRange(settings.InFlight.Select(n => ((int?)n, settings.InFlightSettle, $"@if{n}")));
        foreach (var (inFlight, warmup, suffix) in rows)
        {
            counters.EchoRotation = inFlight is null ? null : clients;
            counters.EchoLoop = true;
            var starters = inFlight ?? clients.Length;
            for (var i = 0; i < starters; i++)
            {
                counters.SendEcho(clients[i % clients.Length]);
            }
            progress.Stage = inFlight is null ? "warm-up" : $"{inFlight} in flight: settle";
            await Task.Delay(warmup, cancellation);
            progress.Stage = inFlight is null ? "saturate" : $"{inFlight} in flight";
            var window = await Window.StartAsync(target);
            var e0 = counters.EchoReplies;
            await Task.Delay(settings.Measure, cancellation);
            var e1 = counters.EchoReplies;
            await window.StopAsync();
            counters.EchoLoop = false;
            window.Report(result, "echo", "echoes", e1 - e0, suffix: suffix);
            result.Metrics[$"in_flight{suffix}"] = starters;
            progress.Stage = "drain";
            if (!await Phases.UntilAsync(() => counters.EchoReplies >= counters.EchoesSent, settings.Drain))
            {
                result.Fail($"{counters.EchoesSent - counters.EchoReplies} of {counters.EchoesSent} echo acks missing after the saturation phase{(inFlight is null ? "" : $" with {inFlight} in flight")}");
                return;
            }
        }
        counters.EchoRotation = null;

        progress.Stage = $"latency {Phases.Rate(settings.FixedEchoRate)}";
        var histogram = new LatencyHistogram();
        counters.EchoLatency = histogram;
        var phase = await Window.StartAsync(target);
        var r0 = counters.EchoReplies;
        var loop = await Phases.OpenLoopAsync(seq => counters.SendEcho(clients[seq % clients.Length]), settings.FixedEchoRate, settings.LatencyPhase);
        var drained = await Phases.UntilAsync(() => counters.EchoReplies >= counters.EchoesSent, settings.Drain);
        await phase.StopAsync();
        counters.EchoLatency = null;
        result.Metrics["rate@fixed"] = settings.FixedEchoRate;
        // CPU per round trip at the fixed rate, beside its latency: what a server spends below saturation.
        phase.Report(result, "echo", "echoes", counters.EchoReplies - r0, suffix: "@fixed");
        Phases.ReportLatency(result, "@fixed", histogram);
        Phases.ReportTicks(result, "@fixed", loop, settings.LatencyPhase);
        if (!drained)
        {
            result.Fail($"{counters.EchoesSent - counters.EchoReplies} echo acks missing after the latency phase");
        }
        result.Metrics["lost"] = counters.EchoesSent - counters.EchoReplies;
        CheckCloses(result, counters);
    }
}
