using System.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Bench;

/// <summary>
/// What the .NET bench servers share: the same Kestrel settings (loopback, the port from the command
/// line, a listen backlog as large as the kernel allows, warnings-only logging, no per-request hosting Activity) and a debug endpoint
/// with the GC's allocation counters, which the load generator reads before and after a scenario.
/// </summary>
public static class BenchHosting
{
    /// <param name="listen">Further settings of the one endpoint (the Switchboard server's direct WebSocket mode).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, int defaultPort, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>? listen = null)
    {
        var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : defaultPort;
        var builder = WebApplication.CreateBuilder(args.Length > 0 && int.TryParse(args[0], out _) ? args[1..] : args);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // As the standalone server (src/Switchboard.Server/appsettings.json): with this category off and
        // no tracer listening, ASP.NET Core creates no Activity per request — which an upgraded
        // WebSocket request would keep for the connection's life (docs/performance.md, S1).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(System.Net.IPAddress.Loopback, port, options => listen?.Invoke(options));
            kestrel.AddServerHeader = false;
        });
        // --Bench:InlineScheduling=true: Kestrel runs its pipes' continuations on the sockets' event
        // threads instead of the thread pool (docs/performance.md, partial load).
        var inline = string.Equals(builder.Configuration["Bench:InlineScheduling"], "true", StringComparison.OrdinalIgnoreCase);
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.Backlog = 4096;
            sockets.UnsafePreferInlineScheduling = inline;
        });
        return builder;
    }

    /// <summary>
    /// Maps /debug/stats. <paramref name="measured"/> is the assembly under test: the stats say whether
    /// it was compiled with optimizations, so a Debug build cannot slip into a measurement.
    /// </summary>
    public static void MapDebugStats(this IEndpointRouteBuilder app, System.Reflection.Assembly measured)
    {
        var optimized = !(measured.GetCustomAttributes(typeof(System.Diagnostics.DebuggableAttribute), false)
            .OfType<System.Diagnostics.DebuggableAttribute>().FirstOrDefault()?.IsJITOptimizerDisabled ?? false);
        if (!optimized)
        {
            Console.Error.WriteLine($"WARNING: {measured.GetName().Name} was compiled without optimizations (Debug); numbers will be meaningless");
        }
        app.MapGet("/debug/stats", (HttpContext context) =>
        {
            if (context.Request.Query.ContainsKey("collect"))
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }
            var info = GC.GetGCMemoryInfo();
            return Results.Json(new DebugStats(
                GC.GetTotalAllocatedBytes(precise: false),
                GC.CollectionCount(0),
                GC.CollectionCount(1),
                GC.CollectionCount(2),
                GC.GetTotalMemory(forceFullCollection: false),
                info.HeapSizeBytes,
                info.TotalCommittedBytes,
                GCSettings.IsServerGC,
                Environment.ProcessorCount,
                ThreadPool.ThreadCount,
                optimized,
                GC.GetTotalPauseDuration().TotalMilliseconds,
                ThreadPool.CompletedWorkItemCount,
                Monitor.LockContentionCount,
                System.Runtime.JitInfo.GetCompiledMethodCount(),
                System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds), DebugStatsJson.Default.DebugStats);
        });
    }

    public static void RunUntilStopped(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine("listening"));
        app.Run();
    }
}

public sealed record DebugStats(
    long AllocatedBytes,
    int Gen0,
    int Gen1,
    int Gen2,
    long ManagedBytes,
    long HeapSizeBytes,
    long CommittedBytes,
    bool ServerGc,
    int ProcessorCount,
    int ThreadCount,
    bool Optimized,
    double GcPauseMs,
    long CompletedWorkItems = 0,
    long LockContentions = 0,
    long JitCompiledMethods = 0,
    double JitMs = 0);

[System.Text.Json.Serialization.JsonSerializable(typeof(DebugStats))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class DebugStatsJson : System.Text.Json.Serialization.JsonSerializerContext;
