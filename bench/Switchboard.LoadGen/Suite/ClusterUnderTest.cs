using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Switchboard.LoadGen.Scenarios;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Suite;

/// <summary>
/// S6's server: a redis-server (in memory, no persistence) and two Switchboard bench nodes joined to it
/// (<c>--Switchboard:Redis</c>), all pinned to the server core. <see cref="First"/> counts the CPU of all
/// three processes as the server's. Without Redis (S6-pair, the control) the two nodes stand alone: the
/// same two processes sharing one core, with nothing of the cluster between them.
/// </summary>
internal sealed class ClusterUnderTest : IDisposable
{
    private readonly Process? _redis;
    private readonly ServerProcess _node1;
    private readonly ServerProcess _node2;

    private ClusterUnderTest(Process? redis, ServerProcess node1, ServerProcess node2, Target first, Target second)
    {
        _redis = redis;
        _node1 = node1;
        _node2 = node2;
        First = first;
        Second = second;
    }

    /// <summary>The first node, where the publisher connects; its CPU includes the second node's and Redis's.</summary>
    public Target First { get; }

    public Target Second { get; }

    /// <summary>Whether the nodes are joined on Redis (S6) or stand alone (S6-pair).</summary>
    public bool Clustered => _redis is not null;

    public static async Task<ClusterUnderTest> StartAsync(ServerSpec spec, BenchPaths paths, int? redisPort, int port1, int port2, int? core, string logDirectory,
        IDictionary<string, string> environment, WireKind wire)
    {
        var redis = redisPort is { } rp ? StartRedis(rp, core) : null;
        ServerProcess? node1 = null;
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
            var prefix = redis is null ? "s6-pair" : "s6";
            node1 = await ServerProcess.StartAsync(nodeSpec, paths, port1, core, Path.Combine(logDirectory, $"{prefix}-node1.log"), environment);
            var node2 = await ServerProcess.StartAsync(nodeSpec, paths, port2, core, Path.Combine(logDirectory, $"{prefix}-node2.log"), environment);
            var first = new Target("switchboard-cluster", spec.Protocol, node1.BaseUri, node1.Pid, null, "S6 is WebSocket only", spec.HasDebugStats, wire)
            {
                ExtraPids = redis is null ? [node2.Pid] : [node2.Pid, redis.Id],
            };
            var second = new Target("switchboard-cluster-2", spec.Protocol, node2.BaseUri, node2.Pid, null, "S6 is WebSocket only", spec.HasDebugStats, wire);
            return new ClusterUnderTest(redis, node1, node2, first, second);
        }
        catch
        {
            node1?.Dispose();
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
        _node1.Dispose();
        _node2.Dispose();
        if (_redis is not null)
        {
            Kill(_redis);
        }
    }
}
