using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>What one scenario measured against one server in one round.</summary>
internal sealed class ScenarioResult(string scenario, string server, int round)
{
    public string Scenario { get; } = scenario;

    public string Server { get; } = server;

    public int Round { get; } = round;

    /// <summary>Set when the scenario could not run here (for example no SSE endpoint); not a failure.</summary>
    public string? Skipped { get; set; }

    /// <summary>Whatever did not work: connections refused, deliveries lost, acks missing.</summary>
    public List<string> Problems { get; } = [];

    public bool Passed => Skipped is null && Problems.Count == 0;

    public SortedDictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, LatencyHistogram> Latencies { get; } = new(StringComparer.Ordinal);

    public void Fail(string problem) => Problems.Add(problem);

    public double? Metric(string name) => Metrics.TryGetValue(name, out var v) ? v : null;
}
