using System.Diagnostics;
using System.Globalization;
using Switchboard.LoadGen.Measure;
using Switchboard.LoadGen.Report;
using Switchboard.LoadGen.Scenarios;

namespace Switchboard.LoadGen.Suite;

/// <summary>
/// Runs every scenario against every server, interleaved: in each round and for each scenario the
/// servers take turns (A B C A' D, the starting server rotating from round to round), Switchboard
/// twice so that the spread between its two runs shows the noise. Each run gets a fresh server
/// process pinned to its own core, unless servers are reused (smoke).
/// </summary>
internal sealed class SuiteRunner(SuiteOptions options)
{
    private readonly List<ScenarioResult> _results = [];
    private readonly Dictionary<string, ServerProcess> _reused = [];
    private int _launches;

    public async Task<RunRecord> RunAsync(CancellationToken cancellation)
    {
        var started = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Read();
        using var progress = new Progress();
        progress.Log($"machine: {machine.Cpu}, {machine.Cores} cores, load {machine.LoadAverage}; results in {options.OutputDirectory}");
        var lineup = Lineup();
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var scenario in options.Scenarios)
                {
                    var order = lineup.Skip((round - 1) % lineup.Count).Concat(lineup.Take((round - 1) % lineup.Count)).ToList();
                    foreach (var (spec, label) in order)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        progress.Header = $"round {round}/{options.Rounds} {scenario.Id} {label}:";
                        var result = await RunOneAsync(spec, label, scenario, round, progress, cancellation);
                        if (options.RetryFailures && result.Skipped is null && !result.Passed)
                        {
                            // The smoke runs on shared CI machines: a scenario that fails for a passing reason
                            // (a connect timing out under load) gets one more try on a fresh server; one that
                            // is broken fails twice. The first failure stays in the log.
                            progress.Log(Summary(result) + " (retrying once)");
                            if (_reused.Remove(label, out var stale))
                            {
                                stale.Dispose();
                            }
                            result = await RunOneAsync(spec, label, scenario, round, progress, cancellation);
                            result.Metrics["retried"] = 1;
                        }
                        _results.Add(result);
                        progress.Log(Summary(result));
                        // Keep what has been measured so far, in case the run is stopped.
                        ReportWriter.Write(Record(started, machine, lineup), options.OutputDirectory);
                    }
                }
            }
        }
        finally
        {
            foreach (var server in _reused.Values)
            {
                server.Dispose();
            }
        }
        return Record(started, machine, lineup);
    }

    private RunRecord Record(DateTimeOffset started, MachineInfo machine, List<(ServerSpec Spec, string Label)> lineup) =>
        new(started, DateTimeOffset.UtcNow, machine, MachineInfo.Read().LoadAverage, options.CommandLine, options.Settings,
            options.Rounds, [.. lineup.Select(l => l.Label)], [.. _results]);

    private List<(ServerSpec Spec, string Label)> Lineup()
    {
        var lineup = new List<(ServerSpec, string)>();
        var twice = options.SwitchboardTwice && options.Servers.Any(s => s.Key == "switchboard");
        foreach (var spec in options.Servers)
        {
            lineup.Add((spec, spec.Key));
        }
        if (twice)
        {
            // The second Switchboard run goes after the peers, so its distance from the first spans the round.
            var spec = options.Servers.First(s => s.Key == "switchboard");
            var at = lineup.FindIndex(l => l.Item1.Key.StartsWith("ceiling", StringComparison.Ordinal));
            lineup.Insert(at < 0 ? lineup.Count : at, (spec, "switchboard-b"));
        }
        return lineup;
    }

    private async Task<ScenarioResult> RunOneAsync(ServerSpec spec, string label, Scenario scenario, int round, Progress progress, CancellationToken cancellation)
    {
        var result = new ScenarioResult(scenario.Id, label, round);
        if (scenario.Id == "S7" && spec.SsePath is null)
        {
            result.Skipped = spec.SseUnavailable ?? "no SSE endpoint";
            return result;
        }
        if (spec.Missing(options.Paths) is { } missing)
        {
            result.Fail($"cannot start {spec.Display}: {missing}");
            return result;
        }
        ServerProcess? server = null;
        var reuse = options.ReuseServers;
        try
        {
            progress.Stage = "starting server";
            progress.Detail = null;
            if (!reuse || !_reused.TryGetValue(label, out server) || server.HasExited)
            {
                server?.Dispose();
                var port = options.BasePort + _launches++ % 500;
                server = await ServerProcess.StartAsync(spec, options.Paths, port, options.ServerCore,
                    Path.Combine(options.OutputDirectory, "logs", $"{label}.log"), options.ServerEnvironment);
                if (reuse)
                {
                    _reused[label] = server;
                }
            }
            var target = new Target(label, spec.Protocol, server.BaseUri, server.Pid,
                spec.SsePath is null ? null : server.BaseUri.ToString().TrimEnd('/') + spec.SsePath,
                spec.SseUnavailable, spec.HasDebugStats, options.Wire)
            {
                PollingUnavailable = spec.PollingUnavailable,
                LongPollTemplate = spec.LongPollPath is null ? null : server.BaseUri.ToString().TrimEnd('/') + spec.LongPollPath,
            };
            result.Metrics["loadavg_1m"] = MachineInfo.LoadAverage1();
            if (await DebugStats.ReadAsync(target.DebugStatsUri) is { Optimized: false })
            {
                result.Fail($"{spec.Display} runs a build without optimizations (Debug): rebuild with -c Release");
                return result;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(options.ScenarioTimeout);
            var clock = Stopwatch.StartNew();
            var context = new ScenarioContext(target, options.Settings, progress, timeout.Token)
            {
                StartCluster = spec.Key != "switchboard" ? null : (redis, count) =>
                {
                    var port = options.BasePort + 600 + (_launches++ % 75) * 4;
                    return ClusterUnderTest.StartAsync(spec, options.Paths, redis ? port : null, [.. Enumerable.Range(port + 1, count)], options.ServerCore,
                        Path.Combine(options.OutputDirectory, "logs"), options.ServerEnvironment, options.Wire);
                },
            };
            await scenario.RunAsync(context, result);
            result.Metrics["scenario_s"] = clock.Elapsed.TotalSeconds;
            if (server.HasExited)
            {
                result.Fail($"{spec.Display} exited during the scenario");
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            result.Fail($"timed out after {options.ScenarioTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            result.Fail(ex.Message);
        }
        finally
        {
            if (!reuse)
            {
                server?.Dispose();
            }
            // Let the kernel finish closing the connections before the next run.
            await Task.Delay(options.Settings.Smoke ? 50 : 500, CancellationToken.None);
        }
        return result;
    }

    private static string Summary(ScenarioResult r)
    {
        var status = r.Skipped is not null ? "SKIP" : r.Passed ? "PASS" : "FAIL";
        var headline = Headline(r);
        var detail = r.Skipped ?? string.Join("; ", r.Problems);
        return $"{status} {r.Scenario,-6} {r.Server,-14} round {r.Round} {headline}{(detail.Length > 0 ? " — " + detail : "")}";
    }

    private static string Headline(ScenarioResult r)
    {
        string F(string key, string format, string unit) =>
            r.Metrics.TryGetValue(key, out var v) ? v.ToString(format, CultureInfo.InvariantCulture) + unit : "";
        var parts = new[]
        {
            F("rss_per_conn_kb", "0.0", " KB/conn"),
            F("idle_cpu_pct", "0.00", "% idle CPU"),
            F("us_per_delivery", "0.00", " µs/delivery"),
            F("deliveries_per_s", "0", " deliveries/s"),
            F("us_per_echo", "0.00", " µs/echo"),
            F("ms_per_handshake", "0.000", " ms/handshake"),
            F("p99_ms@fixed", "0.00", " ms p99@fixed"),
            F("p99_ms@half", "0.00", " ms p99@half"),
            F("server_cpu_pct", "0", "% server"),
            F("generator_cpu_pct", "0", "% generator"),
        };
        return string.Join(", ", parts.Where(p => p.Length > 0));
    }
}
