namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// S5: a connect storm. Many connections opened as fast as the server accepts them (bounded only by
/// the generator's parallelism), each through the full handshake (WebSocket upgrade, Engine.IO open,
/// Socket.IO CONNECT; or SignalR's handshake); server CPU per handshake and failures.
/// </summary>
internal sealed class StormScenario : Scenario
{
    public override string Id => "S5";

    public override string Describe(ScenarioSettings s) =>
        $"connect storm of {s.StormConnections} connections, {s.StormParallelism} in flight; server CPU per handshake, failures";

    public override async Task RunAsync(ScenarioContext context, ScenarioResult result)
    {
        var (target, settings, progress, cancellation) = context;
        var counters = new Counters();
        progress.Stage = "warm-up";
        using (await Fleet.OpenAsync(Math.Max(50, settings.StormConnections / 20), _ => context.NewClient(counters), _ => target.ClientUri, _ => null,
            settings.StormParallelism, counters, progress, cancellation))
        {
        }
        await Task.Delay(settings.Smoke ? 200 : 2000, cancellation);

        progress.Stage = "storm";
        var window = await Window.StartAsync(target);
        using var fleet = await Fleet.OpenAsync(settings.StormConnections, _ => context.NewClient(counters), _ => target.ClientUri, _ => null,
            settings.StormParallelism, counters, progress, cancellation);
        await window.StopAsync();
        CheckFleet(result, fleet, "connections");
        window.Report(result, "handshake", "handshakes", fleet.Opened, microsecondsScale: 1e3);
        if (result.Metrics.Remove("us_per_handshake", out var ms))
        {
            result.Metrics["ms_per_handshake"] = ms;
        }
        result.Metrics["failures"] = fleet.Failures;
        CheckCloses(result, counters);
    }
}
