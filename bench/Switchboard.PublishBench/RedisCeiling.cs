using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.Redis;
using Switchboard.SocketIO;

namespace Switchboard.PublishBench;

/// <summary>
/// Issue 15 item 6: how many publications per second one redis-server sustains through the cluster's
/// publish script. K cluster nodes in this process (each a <see cref="SocketServer"/> with its own
/// <see cref="RedisClusterBus"/> and connection), every node subscribed to every channel (so each
/// publication is PUBLISHed to every node's inbox and delivered back), and F publishers in flight spread
/// over the nodes and channels, each awaiting its publication before the next. Per run: publications
/// per second, the publish call's p50/p99, redis-server's CPU (from /proc), the script's own time from
/// INFO commandstats, and this process's CPU. Use a redis-server of its own: keys get a fresh prefix.
/// </summary>
internal static class RedisCeiling
{
    public static async Task<int> RunAsync(string endpoint, int nodeCount, IReadOnlyList<int> inFlight, int channelCount, TimeSpan duration, int rounds)
    {
        var prefix = $"pb{Environment.ProcessId}:";
        var nodes = new List<(ConnectionMultiplexer Connection, RedisClusterBus Bus, SocketServer Server)>();
        var total = new CountingSubscriber.Total();
        var channels = Enumerable.Range(0, channelCount).Select(i => $"ch-{i}").ToArray();
        try
        {
            for (var i = 0; i < nodeCount; i++)
            {
                var connection = await ConnectionMultiplexer.ConnectAsync(RedisChannelStore.ParseConfiguration(endpoint));
                var bus = new RedisClusterBus(connection, new RedisClusterOptions { Store = new RedisChannelStoreOptions { KeyPrefix = prefix } });
                var server = new SocketServer(new SocketServerOptions(), cluster: bus);
                nodes.Add((connection, bus, server));
                await bus.Ready.WaitAsync(TimeSpan.FromSeconds(30));
                foreach (var channel in channels)
                {
                    await server.Main.Channels.SubscribeAsync(channel, new CountingSubscriber($"n{i}-{channel}", total));
                }
            }
            // INFO is an admin command for StackExchange.Redis: a connection of its own for it.
            var adminOptions = RedisChannelStore.ParseConfiguration(endpoint);
            adminOptions.AllowAdmin = true;
            await using var adminConnection = await ConnectionMultiplexer.ConnectAsync(adminOptions);
            var admin = adminConnection.GetServer(adminConnection.GetEndPoints()[0]);
            var redisPid = int.Parse(Field(await InfoAsync(admin, "server"), "process_id") ?? "0", CultureInfo.InvariantCulture);
            Console.WriteLine($"# redis: {endpoint} (pid {redisPid}, {Field(await InfoAsync(admin, "server"), "redis_version")}), {nodeCount} node(s) in this process, {channelCount} channels each node subscribes to, "
                + $"{duration.TotalSeconds:0.#} s per run, {rounds} round(s); {Environment.ProcessorCount} cores; load {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine("round\tin_flight\tpubs_per_s\tdeliveries_per_s\tpublish_p50_ms\tpublish_p99_ms\tredis_cpu_pct\tredis_us_per_pub\tscript_us_per_pub\tscript_share_of_redis_pct\tnodes_cpu_pct\tnodes_us_per_pub");
            // Warm-up: the scripts loaded, the JIT done.
            await MeasureAsync(nodes.Select(n => n.Server).ToArray(), channels, 16, TimeSpan.FromSeconds(3), admin, redisPid, total);
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var f in round % 2 == 1 ? inFlight : inFlight.Reverse())
                {
                    var r = await MeasureAsync(nodes.Select(n => n.Server).ToArray(), channels, f, duration, admin, redisPid, total);
                    Console.WriteLine(FormattableString.Invariant(
                        $"{round}\t{f}\t{r.PerSecond:0}\t{r.DeliveriesPerSecond:0}\t{r.P50Ms:0.000}\t{r.P99Ms:0.000}\t{r.RedisCpuPct:0}\t{r.RedisUsPerPub:0.0}\t{r.ScriptUsPerPub:0.0}\t{100 * r.ScriptUsPerPub / r.RedisUsPerPub:0}\t{r.NodesCpuPct:0}\t{r.NodesUsPerPub:0.0}"));
                }
            }
            Console.WriteLine("# commandstats of the whole run (calls, usec_per_call):");
            foreach (var line in (await InfoAsync(admin, "commandstats")).Split('\n').Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal)))
            {
                Console.WriteLine("#   " + line.Trim());
            }
            Console.WriteLine($"# deliveries counted {total.Deliveries}, discontinuities {total.Discontinuities}");
            return 0;
        }
        finally
        {
            foreach (var (connection, bus, server) in Enumerable.Reverse(nodes))
            {
                server.Dispose();
                await bus.DisposeAsync();
                await connection.DisposeAsync();
            }
        }
    }

    private readonly record struct Result(double PerSecond, double DeliveriesPerSecond, double P50Ms, double P99Ms, double RedisCpuPct, double RedisUsPerPub, double ScriptUsPerPub, double NodesCpuPct, double NodesUsPerPub);

    private static async Task<Result> MeasureAsync(SocketServer[] servers, string[] channels, int inFlight, TimeSpan duration, IServer admin, int redisPid, CountingSubscriber.Total total)
    {
        object?[] args = ["@0000000000000000000:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"];
        using var stop = new CancellationTokenSource();
        var latencies = new List<long>[inFlight];
        var stats0 = ScriptUsec(await InfoAsync(admin, "commandstats"));
        var redis0 = CpuSeconds(redisPid);
        var self0 = Process.GetCurrentProcess().TotalProcessorTime;
        var deliveries0 = Interlocked.Read(ref total.Deliveries);
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, inFlight).Select(j => Task.Run(async () =>
        {
            var hub = servers[j % servers.Length].Main.Channels;
            string[] target = [channels[j % channels.Length]];
            var samples = latencies[j] = new List<long>(4096);
            while (!stop.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                await hub.PublishAsync(target, "msg", args);
                samples.Add(Stopwatch.GetTimestamp() - t0);
            }
        })).ToArray();
        await Task.Delay(duration);
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        var wall = clock.Elapsed.TotalSeconds;
        var redisCpu = CpuSeconds(redisPid) - redis0;
        var selfCpu = (Process.GetCurrentProcess().TotalProcessorTime - self0).TotalSeconds;
        var stats1 = ScriptUsec(await InfoAsync(admin, "commandstats"));
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var published = all.Length;
        double Quantile(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1000.0 / Stopwatch.Frequency;
        var scriptCalls = stats1.Calls - stats0.Calls;
        return new Result(
            published / wall,
            (Interlocked.Read(ref total.Deliveries) - deliveries0) / wall,
            Quantile(0.50),
            Quantile(0.99),
            100 * redisCpu / wall,
            1e6 * redisCpu / Math.Max(1, published),
            (double)(stats1.Usec - stats0.Usec) / Math.Max(1, scriptCalls),
            100 * selfCpu / wall,
            1e6 * selfCpu / Math.Max(1, published));
    }

    private static async Task<string> InfoAsync(IServer server, string section) => await server.InfoRawAsync(section) ?? "";

    private static string? Field(string info, string name) =>
        info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>EVALSHA's (and EVAL's) calls and microseconds so far: the scripts' own time inside Redis.</summary>
    private static (long Calls, long Usec) ScriptUsec(string commandstats)
    {
        long calls = 0, usec = 0;
        foreach (var line in commandstats.Split('\n').Select(l => l.Trim()))
        {
            if (!line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) && !line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var part in line[(line.IndexOf(':') + 1)..].Split(','))
            {
                var kv = part.Split('=');
                if (kv[0] == "calls")
                {
                    calls += long.Parse(kv[1], CultureInfo.InvariantCulture);
                }
                else if (kv[0] == "usec")
                {
                    usec += long.Parse(kv[1], CultureInfo.InvariantCulture);
                }
            }
        }
        return (calls, usec);
    }

    private static double CpuSeconds(int pid)
    {
        if (pid <= 0 || !File.Exists($"/proc/{pid}/stat"))
        {
            return double.NaN;
        }
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
