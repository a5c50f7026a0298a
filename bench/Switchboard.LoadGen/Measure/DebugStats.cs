using System.Net.Http;
using System.Text.Json;

namespace Switchboard.LoadGen.Measure;

/// <summary>The GC and thread-pool counters a .NET bench server exposes at /debug/stats (bench/Shared/BenchHosting.cs).</summary>
internal sealed record DebugStats(long AllocatedBytes, int Gen0, int Gen1, int Gen2, long ManagedBytes, long HeapSizeBytes, bool Optimized, double GcPauseMs, long CompletedWorkItems = 0)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<DebugStats?> ReadAsync(Uri? baseUri, bool collect = false)
    {
        if (baseUri is null)
        {
            return null;
        }
        try
        {
            var json = await Http.GetStringAsync(new Uri(baseUri, collect ? "/debug/stats?collect=1" : "/debug/stats"));
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new DebugStats(
                r.GetProperty("allocatedBytes").GetInt64(),
                r.GetProperty("gen0").GetInt32(),
                r.GetProperty("gen1").GetInt32(),
                r.GetProperty("gen2").GetInt32(),
                r.GetProperty("managedBytes").GetInt64(),
                r.GetProperty("heapSizeBytes").GetInt64(),
                r.GetProperty("optimized").GetBoolean(),
                r.TryGetProperty("gcPauseMs", out var pause) ? pause.GetDouble() : 0,
                r.TryGetProperty("completedWorkItems", out var items) ? items.GetInt64() : 0);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }
}
