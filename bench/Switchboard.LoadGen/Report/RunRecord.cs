using System.Text.Json;
using Switchboard.LoadGen.Measure;
using Switchboard.LoadGen.Scenarios;

namespace Switchboard.LoadGen.Report;

/// <summary>Everything one run produced; written as results.json and readable again (<c>loadgen report</c>).</summary>
internal sealed record RunRecord(
    DateTimeOffset Started,
    DateTimeOffset Finished,
    MachineInfo Machine,
    string LoadAverageAtEnd,
    string CommandLine,
    ScenarioSettings Settings,
    int Rounds,
    string[] Servers,
    ScenarioResult[] Results)
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public void Write(string path)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("started", Started);
        json.WriteString("finished", Finished);
        json.WritePropertyName("machine");
        JsonSerializer.Serialize(json, Machine, Options);
        json.WriteString("loadAverageAtEnd", LoadAverageAtEnd);
        json.WriteString("commandLine", CommandLine);
        json.WritePropertyName("settings");
        JsonSerializer.Serialize(json, Settings, Options);
        json.WriteNumber("rounds", Rounds);
        json.WriteStartArray("servers");
        foreach (var s in Servers)
        {
            json.WriteStringValue(s);
        }
        json.WriteEndArray();
        json.WriteStartArray("results");
        foreach (var r in Results)
        {
            json.WriteStartObject();
            json.WriteString("scenario", r.Scenario);
            json.WriteString("server", r.Server);
            json.WriteNumber("round", r.Round);
            json.WriteString("status", r.Skipped is not null ? "skipped" : r.Passed ? "passed" : "failed");
            if (r.Skipped is not null)
            {
                json.WriteString("skipped", r.Skipped);
            }
            json.WriteStartArray("problems");
            foreach (var p in r.Problems)
            {
                json.WriteStringValue(p);
            }
            json.WriteEndArray();
            json.WriteStartObject("metrics");
            foreach (var (k, v) in r.Metrics)
            {
                if (double.IsFinite(v))
                {
                    json.WriteNumber(k, Math.Round(v, 6));
                }
            }
            json.WriteEndObject();
            json.WriteStartObject("latency");
            foreach (var (k, h) in r.Latencies)
            {
                json.WriteStartObject(k);
                json.WriteNumber("count", h.Count);
                json.WriteNumber("maxNs", h.MaxNanoseconds);
                foreach (var q in new[] { 0.5, 0.9, 0.99, 0.999, 0.9999 })
                {
                    json.WriteNumber($"p{q * 100:0.##}Ns", Math.Round(h.Quantile(q)));
                }
                // Sparse buckets "index:count ...", so the histogram can be merged and plotted again.
                var counts = h.Snapshot();
                var buckets = new System.Text.StringBuilder();
                for (var i = 0; i < counts.Length; i++)
                {
                    if (counts[i] != 0)
                    {
                        buckets.Append(buckets.Length == 0 ? "" : " ").Append(i).Append(':').Append(counts[i]);
                    }
                }
                json.WriteString("buckets", buckets.ToString());
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static RunRecord Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var results = new List<ScenarioResult>();
        foreach (var e in root.GetProperty("results").EnumerateArray())
        {
            var r = new ScenarioResult(e.GetProperty("scenario").GetString()!, e.GetProperty("server").GetString()!, e.GetProperty("round").GetInt32());
            if (e.TryGetProperty("skipped", out var skipped))
            {
                r.Skipped = skipped.GetString();
            }
            foreach (var p in e.GetProperty("problems").EnumerateArray())
            {
                r.Fail(p.GetString()!);
            }
            foreach (var m in e.GetProperty("metrics").EnumerateObject())
            {
                r.Metrics[m.Name] = m.Value.GetDouble();
            }
            foreach (var l in e.GetProperty("latency").EnumerateObject())
            {
                var counts = new long[64 * 64];
                var buckets = l.Value.GetProperty("buckets");
                if (buckets.ValueKind == JsonValueKind.String)
                {
                    foreach (var pair in buckets.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var colon = pair.IndexOf(':', StringComparison.Ordinal);
                        counts[int.Parse(pair[..colon], System.Globalization.CultureInfo.InvariantCulture)] =
                            long.Parse(pair[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
                else
                {
                    foreach (var b in buckets.EnumerateArray())
                    {
                        counts[b[0].GetInt32()] = b[1].GetInt64();
                    }
                }
                r.Latencies[l.Name] = LatencyHistogram.FromSnapshot(counts, l.Value.GetProperty("maxNs").GetInt64());
            }
            results.Add(r);
        }
        return new RunRecord(
            root.GetProperty("started").GetDateTimeOffset(),
            root.GetProperty("finished").GetDateTimeOffset(),
            root.GetProperty("machine").Deserialize<MachineInfo>(Options)!,
            root.GetProperty("loadAverageAtEnd").GetString() ?? "",
            root.GetProperty("commandLine").GetString() ?? "",
            root.GetProperty("settings").Deserialize<ScenarioSettings>(Options)!,
            root.GetProperty("rounds").GetInt32(),
            [.. root.GetProperty("servers").EnumerateArray().Select(s => s.GetString()!)],
            [.. results]);
    }
}
