using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Switchboard.LoadGen.Scenarios;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Suite;

/// <summary>
/// S6's server: a redis-server (in memory, no persistence) and two (S6-3: three) Switchboard bench nodes
/// joined to it (<c>--Switchboard:Redis</c>), all pinned to the server core. <see cref="First"/> counts the
/// CPU of every process as the server's. Without Redis (S6-pair, the control) the two nodes stand alone: the
/// same two processes sharing one core, with nothing of the cluster between them.
/// </summary>
internal sealed class ClusterUnderTest : IDisposable
{
    private readonly Process? _redis;
    private readonly ServerProcess[] _processes;

    private ClusterUnderTest(Process? redis, ServerProcess[] processes, Target[] nodes)
    {
        _redis = redis;
        _processes = processes;
        Nodes = nodes;
    }

    /// <summary>The first node, where the publisher connects; its CPU includes the other nodes' and Redis's.</summary>
    public Target First => Nodes[0];

    /// <summary>Every node, the first one first (subscribers go round them).</summary>
    public IReadOnlyList<Target> Nodes { get; }

    /// <summary>Whether the nodes are joined on Redis (S6) or stand alone (S6-pair).</summary>
    public bool Clustered => _redis is not null;

    public static async Task<ClusterUnderTest> StartAsync(ServerSpec spec, BenchPaths paths, int? redisPort, IReadOnlyList<int> ports, int? core, string logDirectory,
        IDictionary<string, string> environment, WireKind wire)
    {
        var redis = redisPort is { } rp ? StartRedis(rp, core) : null;
        var started = new List<ServerProcess>();
        try
        {
            var nodeSpec = spec;
            if (redis is not null)
            {
                await WaitForPortAsync(redisPort!.Value, redis);
                nodeSpec = spec with
                {
                    Command = (p, port) =>
                    {
                        var (file, args) = spec.Command(p, port);
                        return (file, [.. args, $"--Switchboard:Redis=127.0.0.1:{redisPort}"]);
                    },
                };
            }
            var prefix = redis is null ? "s6-pair" : ports.Count == 2 ? "s6" : $"s6-{ports.Count}";
            for (var i = 0; i < ports.Count; i++)
            {
                started.Add(await ServerProcess.StartAsync(nodeSpec, paths, ports[i], core, Path.Combine(logDirectory, $"{prefix}-node{i + 1}.log"), environment));
            }
            var nodes = started.Select((node, i) => new Target(i == 0 ? "switchboard-cluster" : $"switchboard-cluster-{i + 1}", spec.Protocol, node.BaseUri, node.Pid,
                null, "S6 is WebSocket only", spec.HasDebugStats, wire)).ToArray();
            // The first node's CPU counts every other process: the other nodes, then Redis.
            nodes[0] = nodes[0] with
            {
                ExtraPids = [.. started.Skip(1).Select(n => n.Pid), .. redis is null ? Array.Empty<int>() : [redis.Id]],
            };
            return new ClusterUnderTest(redis, [.. started], nodes);
        }
        catch
        {
            foreach (var node in started)
            {
                node.Dispose();
            }
            if (redis is not null)
            {
                Kill(redis);
            }
            throw;
        }
    }

    private static Process StartRedis(int port, int? core)
    {
        var binary = Environment.GetEnvironmentVariable("REDIS_SERVER_PATH") is { Length: > 0 } configured ? configured : "redis-server";
        var info = new ProcessStartInfo(core is null ? binary : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (core is { } c)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(c.ToString(System.Globalization.CultureInfo.InvariantCulture));
            info.ArgumentList.Add(binary);
        }
        foreach (var arg in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForPortAsync(int port, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} (is it installed? test.sh installs it)");
            }
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(50);
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
    }

    public void Dispose()
    {
        foreach (var node in _processes)
        {
            node.Dispose();
        }
        if (_redis is not null)
        {
            Kill(_redis);
        }
    }
}
