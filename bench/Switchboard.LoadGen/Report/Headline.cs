namespace Switchboard.LoadGen.Report;

/// <summary>A row of the summary table: one metric of one scenario, and the goal from the issue.</summary>
internal sealed record Headline(string Scenario, string Metric, string Label, string Goal, double? GoalValue, bool LowerIsBetter = true)
{
    public static IReadOnlyList<Headline> All { get; } =
    [
        new("S1", "rss_per_conn_kb", "S1 RSS per idle connection, KB", "≤ 4", 4),
        new("S1", "managed_per_conn_kb", "S1 managed heap per idle connection, KB (.NET)", "", null),
        new("S1", "idle_cpu_pct", "S1 idle CPU, % of one core", "≤ 0.5", 0.5),
        new("S1", "connections", "S1 idle connections held", "", null, LowerIsBetter: false),
        new("S2-1k", "us_per_delivery", "S2 µs CPU per delivery, 1k subscribers", "≤ 2.3", 2.3),
        new("S2-10k", "us_per_delivery", "S2 µs CPU per delivery, 10k subscribers", "≤ 3.1", 3.1),
        new("S2-1k", "deliveries_per_s", "S2 deliveries/s at saturation, 1k (↑)", "", null, LowerIsBetter: false),
        new("S2-10k", "deliveries_per_s", "S2 deliveries/s at saturation, 10k (↑)", "", null, LowerIsBetter: false),
        new("S2-1k", "p50_ms@fixed", "S2 p50 ms at the fixed rate, 1k", "", null),
        new("S2-1k", "p99_ms@fixed", "S2 p99 ms at the fixed rate, 1k", "≤ 5", 5),
        new("S2-1k", "p999_ms@fixed", "S2 p99.9 ms at the fixed rate, 1k", "", null),
        new("S2-1k", "us_per_delivery@fixed", "S2 µs CPU per delivery at the fixed rate, 1k", "", null),
        new("S2-1k", "p99_ms@half", "S2 p99 ms at half of own saturation, 1k", "", null),
        new("S2-10k", "p99_ms@half", "S2 p99 ms at half of own saturation, 10k", "", null),
        new("S3", "us_per_delivery", "S3 µs CPU per delivery, rooms of 10", "≤ 6", 6),
        new("S4", "us_per_echo", "S4 µs CPU per echo", "≤ 9", 9),
        new("S4", "us_per_echo@fixed", "S4 µs CPU per echo at the fixed rate", "", null),
        new("S4", "p50_ms@fixed", "S4 RTT p50 ms at the fixed rate", "", null),
        new("S4", "p99_ms@fixed", "S4 RTT p99 ms at the fixed rate", "≤ 1.3", 1.3),
        new("S5", "ms_per_handshake", "S5 CPU ms per handshake", "≤ 0.07", 0.07),
        new("S5", "failures", "S5 failed handshakes", "0", 0),
        new("S7", "us_per_delivery", "S7 µs CPU per SSE delivery", "≤ 1.25 × own S2-1k", null),
        new("S6", "us_per_delivery", "S6 µs CPU per delivery, 1k subscribers on 2 nodes + Redis", "≥ 80% of own S2-1k deliveries/CPU-s", null),
        new("S6-pair", "us_per_delivery", "S6-pair µs CPU per delivery: the control, 2 standalone nodes on one core, no Redis", "(control of S6)", null),
    ];

    /// <summary>
    /// The rows for one run: <see cref="All"/>, each CPU-per-unit row at saturation followed by its
    /// in-flight rows (<c>us_per_delivery@if64</c>: 64 publications in flight) when the run has them.
    /// </summary>
    public static IEnumerable<Headline> For(RunRecord run)
    {
        var keys = run.Results.SelectMany(r => r.Metrics.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var h in All)
        {
            yield return h;
            if (h.Metric is not ("us_per_delivery" or "us_per_echo"))
            {
                continue;
            }
            var prefix = h.Metric + "@if";
            var what = h.Scenario == "S4" ? "echoes" : "publications";
            var counts = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                .Select(k => int.TryParse(k.AsSpan(prefix.Length), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1)
                .Where(n => n > 0)
                .Order();
            foreach (var n in counts)
            {
                if (run.Results.Any(r => r.Scenario == h.Scenario && r.Metrics.ContainsKey(prefix + n)))
                {
                    yield return h with { Metric = prefix + n, Label = $"{h.Label}, {n} {what} in flight" };
                }
            }
        }
    }
}
