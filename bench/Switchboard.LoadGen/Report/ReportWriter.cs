using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Report;

/// <summary>Writes results.json, results.md and one latency CDF plot per latency phase into a folder.</summary>
internal static class ReportWriter
{
    private static readonly Dictionary<string, string> Titles = new()
    {
        ["S2-1k@fixed"] = "S2-1k fan-out delivery latency, fixed offered rate",
        ["S2-1k@half"] = "S2-1k fan-out delivery latency, half of own saturation",
        ["S2-10k@half"] = "S2-10k fan-out delivery latency, half of own saturation",
        ["S3@half"] = "S3 many rooms delivery latency, half of own saturation",
        ["S4@fixed"] = "S4 echo round trip, fixed offered rate",
        ["S7@half"] = "S7 SSE fan-out delivery latency, half of own saturation",
    };

    public static IReadOnlyList<string> Write(RunRecord run, string directory, bool writeJson = true)
    {
        Directory.CreateDirectory(directory);
        if (writeJson)
        {
            run.Write(Path.Combine(directory, "results.json"));
        }
        var plots = new List<string>();
        var keys = run.Results.SelectMany(r => r.Latencies.Keys.Select(k => (r.Scenario, Key: k))).Distinct().ToList();
        foreach (var (scenario, key) in keys)
        {
            var series = new List<(string, LatencyHistogram)>();
            foreach (var server in run.Servers)
            {
                var merged = new LatencyHistogram();
                foreach (var r in run.Results.Where(r => r.Scenario == scenario && r.Server == server && r.Latencies.ContainsKey(key)))
                {
                    merged.Add(r.Latencies[key]);
                }
                if (merged.Count > 0)
                {
                    series.Add((server, merged));
                }
            }
            var title = Titles.TryGetValue(scenario + key, out var t) ? t : $"{scenario} {key}";
            var rate = run.Results.FirstOrDefault(r => r.Scenario == scenario && r.Metrics.ContainsKey("rate" + key) && key == "@fixed")?.Metrics["rate" + key];
            if (rate is { } perSecond)
            {
                title += $" ({Scenarios.Phases.Rate(perSecond)})";
            }
            var file = $"latency-{scenario}-{key.TrimStart('@')}.svg";
            File.WriteAllText(Path.Combine(directory, file), CdfPlot.Render(title + ", all rounds", series));
            plots.Add(file);
        }
        File.WriteAllText(Path.Combine(directory, "results.md"), MarkdownReport.Render(run, plots));
        return plots;
    }
}
