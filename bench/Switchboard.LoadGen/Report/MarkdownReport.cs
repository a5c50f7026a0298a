using System.Globalization;
using System.Text;
using Switchboard.LoadGen.Scenarios;

namespace Switchboard.LoadGen.Report;

/// <summary>results.md: the summary table (medians over rounds, ratios against Switchboard), every metric, and what failed.</summary>
internal static class MarkdownReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Generator CPU, % of its core, from which a window is listed as generator-bound.</summary>
    private const double GeneratorBoundPct = 90;

    /// <summary>Pacing ticks per second below which a fixed-rate phase is listed as late (about 950 when the generator keeps time).</summary>
    private const double LateTicksPerSecond = 500;

    public static string Render(RunRecord run, IReadOnlyList<string> plots)
    {
        var md = new StringBuilder();
        var servers = run.Servers;
        var hasSb = servers.Contains("switchboard");
        md.AppendLine(Inv, $"# Benchmark results, {run.Started:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(Inv, $"- Machine: {run.Machine.Cpu}, {run.Machine.Cores} cores, {run.Machine.MemoryGiB} GiB; {run.Machine.Os}, kernel {run.Machine.Kernel}; .NET {run.Machine.DotNet}, Node {run.Machine.Node}; open files {run.Machine.OpenFilesLimit}.");
        md.AppendLine(Inv, $"- Load average at start {run.Machine.LoadAverage}, at end {run.LoadAverageAtEnd}; took {(run.Finished - run.Started).TotalMinutes:0.0} min. The machine may have been shared with other work.");
        md.AppendLine(Inv, $"- {run.Rounds} round(s), servers in turn: {string.Join(", ", servers)}. Cells are medians over rounds; ratios are peer ÷ Switchboard (both Switchboard runs pooled), so above 1 means Switchboard is cheaper, except on rows marked ↑ (higher is better).");
        md.AppendLine(Inv, $"- Command: `{run.CommandLine}`{(run.Machine.Revision is { } rev ? $"; source: {rev}" : "")}");
        md.AppendLine();
        md.AppendLine("Scenarios:");
        md.AppendLine();
        foreach (var scenario in Scenario.All.Where(s => run.Results.Any(r => r.Scenario == s.Id)))
        {
            md.AppendLine(Inv, $"- **{scenario.Id}**: {scenario.Describe(run.Settings)}");
        }
        md.AppendLine();

        md.AppendLine("## Summary");
        md.AppendLine();
        var header = new StringBuilder("| Metric |");
        var rule = new StringBuilder("|---|");
        foreach (var s in servers)
        {
            header.Append(Inv, $" {Display(s)} |");
            rule.Append("---:|");
        }
        var peers = servers.Where(s => s is not ("switchboard" or "switchboard-b") && !s.StartsWith("ceiling", StringComparison.Ordinal)).ToList();
        var ceilings = servers.Where(s => s.StartsWith("ceiling", StringComparison.Ordinal)).ToList();
        if (hasSb)
        {
            foreach (var p in peers)
            {
                header.Append(Inv, $" {Display(p)} ÷ SB |");
                rule.Append("---:|");
            }
            foreach (var c in ceilings)
            {
                header.Append(Inv, $" SB ÷ {Display(c)} |");
                rule.Append("---:|");
            }
            header.Append(" Goal | Met |");
            rule.Append("---|---|");
        }
        md.AppendLine(header.ToString());
        md.AppendLine(rule.ToString());
        foreach (var h in Headline.For(run))
        {
            if (!run.Results.Any(r => r.Scenario == h.Scenario))
            {
                continue;
            }
            var row = new StringBuilder().Append(Inv, $"| {h.Label} |");
            foreach (var s in servers)
            {
                row.Append(Inv, $" {Cell(run, h.Scenario, s, h.Metric)} |");
            }
            if (hasSb)
            {
                var sb = Median(Values(run, h.Scenario, "switchboard", h.Metric).Concat(Values(run, h.Scenario, "switchboard-b", h.Metric)));
                foreach (var p in peers)
                {
                    row.Append(Inv, $" {Ratio(Median(Values(run, h.Scenario, p, h.Metric)), sb)} |");
                }
                foreach (var c in ceilings)
                {
                    row.Append(Inv, $" {Ratio(sb, Median(Values(run, h.Scenario, c, h.Metric)))} |");
                }
                row.Append(Inv, $" {h.Goal} | {Met(run, h, sb)} |");
            }
            md.AppendLine(row.ToString());
        }
        md.AppendLine();
        var skipped = run.Results.Where(r => r.Skipped is not null).GroupBy(r => (r.Scenario, r.Server, r.Skipped)).Select(g => g.Key).ToList();
        if (skipped.Count > 0)
        {
            md.AppendLine("Not run:");
            md.AppendLine();
            foreach (var (scenario, server, why) in skipped.Select(k => (k.Scenario, k.Server, k.Skipped)))
            {
                md.AppendLine(Inv, $"- {scenario} on {Display(server)}: {why}");
            }
            md.AppendLine();
        }
        // A window in which the generator had its core (nearly) to itself no longer drives the server
        // at the load it names: replies trickle back one per wake-up on both sides, and the server's
        // CPU per unit then includes per-wake-up costs a saturated server spreads over many messages
        // (docs/performance.md, "Why the socket.io figures did not reproduce").
        var bound = run.Results
            .SelectMany(r => r.Metrics.Where(m => m.Key.StartsWith("generator_cpu_pct", StringComparison.Ordinal) && m.Value >= GeneratorBoundPct)
                .Select(m => (r.Scenario, Window: m.Key["generator_cpu_pct".Length..], r.Server, r.Round, m.Value)))
            .GroupBy(b => (b.Scenario, b.Window, b.Server))
            .ToList();
        if (bound.Count > 0)
        {
            md.AppendLine(Inv, $"Generator-bound windows (the generator used ≥ {GeneratorBoundPct}% of its core; the server's figure there is paced by the generator, not by its own limit):");
            md.AppendLine();
            foreach (var g in bound)
            {
                var rounds = string.Join(", ", g.Select(b => $"round {b.Round} {b.Value:0}%"));
                md.AppendLine(Inv, $"- {g.Key.Scenario}{(g.Key.Window.Length == 0 ? " saturation" : " " + g.Key.Window)} on {Display(g.Key.Server)}: {rounds}");
            }
            md.AppendLine();
        }
        // A fixed-rate phase whose pacing thread woke far less often than every millisecond sent its requests in
        // bursts the rate does not name: the server was woken fewer times per request than at that rate
        // (docs/performance.md, "Why bench/'s fixed-rate phases hid it").
        var late = run.Results
            .SelectMany(r => r.Metrics.Where(m => m.Key.StartsWith("ticks_per_s", StringComparison.Ordinal) && m.Value < LateTicksPerSecond)
                .Select(m => (r.Scenario, Window: m.Key["ticks_per_s".Length..], r.Server, r.Round, m.Value)))
            .ToList();
        if (late.Count > 0)
        {
            md.AppendLine(Inv, $"Late pacing (fewer than {LateTicksPerSecond} ticks a second in a fixed-rate phase: the generator was starved, its requests went out in bursts):");
            md.AppendLine();
            foreach (var l in late)
            {
                md.AppendLine(Inv, $"- {l.Scenario} {l.Window} on {Display(l.Server)}: round {l.Round}, {l.Value:0} ticks/s");
            }
            md.AppendLine();
        }
        var failed = run.Results.Where(r => r.Problems.Count > 0).ToList();
        if (failed.Count > 0)
        {
            md.AppendLine("Problems:");
            md.AppendLine();
            foreach (var r in failed)
            {
                md.AppendLine(Inv, $"- {r.Scenario} on {Display(r.Server)}, round {r.Round}: {string.Join("; ", r.Problems)}");
            }
            md.AppendLine();
        }
        foreach (var plot in plots)
        {
            md.AppendLine(Inv, $"![latency CDF]({plot})");
            md.AppendLine();
        }

        md.AppendLine("## Every metric");
        md.AppendLine();
        md.AppendLine("Median over rounds, with the range when the rounds differ. Units are in the names: `us_` µs of server CPU per unit, `_pct` percent of one core, `_ms` milliseconds, `alloc_bytes_per_` bytes allocated by a .NET server (GC.GetTotalAllocatedBytes).");
        md.AppendLine();
        foreach (var scenario in run.Results.Select(r => r.Scenario).Distinct())
        {
            var metrics = run.Results.Where(r => r.Scenario == scenario).SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            if (metrics.Count == 0)
            {
                continue;
            }
            md.AppendLine(Inv, $"### {scenario}");
            md.AppendLine();
            md.AppendLine("| Metric | " + string.Join(" | ", servers.Select(Display)) + " |");
            md.AppendLine("|---|" + string.Concat(servers.Select(_ => "---:|")));
            foreach (var metric in metrics)
            {
                md.AppendLine("| " + metric + " | " + string.Join(" | ", servers.Select(s => Cell(run, scenario, s, metric, range: true))) + " |");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    public static string Display(string server) => server switch
    {
        "switchboard" => "Switchboard",
        "switchboard-b" => "Switchboard (2nd)",
        "socketio" => "socket.io",
        "signalr" => "SignalR",
        "ceiling" => "ceiling",
        "ceiling-corked" => "corked ceiling",
        _ => server,
    };

    private static string Met(RunRecord run, Headline h, double? sb)
    {
        if (sb is null)
        {
            return "";
        }
        if (h.Scenario == "S6-pair")
        {
            var s2 = Median(Values(run, "S2-1k", "switchboard", "us_per_delivery").Concat(Values(run, "S2-1k", "switchboard-b", "us_per_delivery")));
            var s6 = Median(Values(run, "S6", "switchboard", "us_per_delivery").Concat(Values(run, "S6", "switchboard-b", "us_per_delivery")));
            var ofS2 = s2 is null ? "" : $"{100 * s2 / sb:0}% of S2-1k";
            var ofPair = s6 is null ? "" : $"; S6 is {100 * sb / s6:0}% of this";
            return ofS2 + ofPair;
        }
        if (h.Scenario == "S6")
        {
            var s2 = Median(Values(run, "S2-1k", "switchboard", "us_per_delivery").Concat(Values(run, "S2-1k", "switchboard-b", "us_per_delivery")));
            // Deliveries per CPU-second are the inverse of µs per delivery.
            return s2 is null ? "" : s2 / sb >= 0.8 ? $"yes ({100 * s2 / sb:0}%)" : $"no ({100 * s2 / sb:0}%)";
        }
        if (h.Scenario == "S7")
        {
            var s2 = Median(Values(run, "S2-1k", "switchboard", "us_per_delivery").Concat(Values(run, "S2-1k", "switchboard-b", "us_per_delivery")));
            return s2 is null ? "" : sb <= 1.25 * s2 ? "yes" : $"no ({sb / s2:0.00}×)";
        }
        if (h.GoalValue is not { } goal)
        {
            return "";
        }
        return sb <= goal ? "yes" : "no";
    }

    private static IEnumerable<double> Values(RunRecord run, string scenario, string server, string metric) =>
        run.Results.Where(r => r.Scenario == scenario && r.Server == server && r.Skipped is null && r.Metrics.ContainsKey(metric))
            .Select(r => r.Metrics[metric]);

    private static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Cell(RunRecord run, string scenario, string server, string metric, bool range = false)
    {
        var values = Values(run, scenario, server, metric).ToArray();
        if (values.Length == 0)
        {
            var skipped = run.Results.FirstOrDefault(r => r.Scenario == scenario && r.Server == server && r.Skipped is not null);
            return skipped is not null ? "n/a" : "–";
        }
        var median = Format(Median(values)!.Value);
        if (range && values.Length > 1 && values.Min() != values.Max())
        {
            return $"{median} ({Format(values.Min())}–{Format(values.Max())})";
        }
        return median;
    }

    private static string Ratio(double? a, double? b) =>
        a is { } x && b is { } y && y != 0 ? (x / y).ToString("0.00", Inv) + "×" : "–";

    public static string Format(double v)
    {
        var a = Math.Abs(v);
        return a == 0 ? "0"
            : a >= 100_000 ? v.ToString("#,0", Inv)
            : a >= 100 ? v.ToString("0", Inv)
            : a >= 10 ? v.ToString("0.0", Inv)
            : a >= 0.1 ? v.ToString("0.00", Inv)
            : v.ToString("0.000", Inv);
    }
}
