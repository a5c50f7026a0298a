using System.Diagnostics;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.PublishBench;

/// <summary>
/// Issue 15 item 5: N publishers, each on its own thread publishing to its own channel through
/// <see cref="ChannelHub.PublishAsync"/> (the path every protocol's publication joins), either all in
/// one namespace (one order: ADR 0010) or each in a namespace of its own (N orders). The difference is
/// what the one order costs. Counted per run: publications per second, process CPU per publication,
/// how many publish calls had to wait for the order asynchronously (the call returned an incomplete task;
/// since the order is taken without awaiting with the in-memory store, a blocked wait shows in the call's
/// time instead), how long such a wait took and what share of the publishers' time went to waiting, the
/// mean time of a publish call (waits of either kind included), bytes allocated per publication, monitor
/// contentions and thread-pool work items.
/// </summary>
internal static class OrderBench
{
    public static async Task<int> RunAsync(IReadOnlyList<int> publisherCounts, int subscribers, TimeSpan duration, int rounds)
    {
        Console.WriteLine($"# order: {Environment.ProcessorCount} cores, {subscribers} subscriber(s) per channel, {duration.TotalSeconds:0.#} s per run, {rounds} round(s); load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("round\tpublishers\tlayout\tpubs_per_s\tcpu_pct\tus_cpu_per_pub\twaits_pct\tmonitor_contentions_per_1k\tpool_items_per_pub\tmean_wait_us\tpublishers_waiting_pct\tcall_us\tbytes_per_pub");
        // Warm-up: both layouts once, so tier-1 code is measured.
        foreach (var layout in new[] { Layout.OneNamespace, Layout.NamespacePerPublisher })
        {
            await MeasureAsync(2, layout, subscribers, TimeSpan.FromSeconds(2));
        }
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var n in publisherCounts)
            {
                // Interleaved: the two layouts take turns, the first alternating by round.
                var layouts = round % 2 == 1 ? new[] { Layout.OneNamespace, Layout.NamespacePerPublisher } : [Layout.NamespacePerPublisher, Layout.OneNamespace];
                foreach (var layout in layouts)
                {
                    var r = await MeasureAsync(n, layout, subscribers, duration);
                    Console.WriteLine(FormattableString.Invariant(
                        $"{round}\t{n}\t{(layout == Layout.OneNamespace ? "one-namespace" : "namespace-each")}\t{r.PerSecond:0}\t{r.CpuPct:0}\t{r.CpuUsPerPub:0.00}\t{r.WaitsPct:0.0}\t{r.ContentionsPer1k:0.0}\t{r.PoolItemsPerPub:0.00}\t{r.MeanWaitUs:0}\t{r.WaitingPct:0}\t{r.CallUs:0.00}\t{r.BytesPerPub:0}"));
                }
            }
        }
        return 0;
    }

    private enum Layout
    {
        OneNamespace,
        NamespacePerPublisher,
    }

    private readonly record struct Result(double PerSecond, double CpuPct, double CpuUsPerPub, double WaitsPct, double ContentionsPer1k, double PoolItemsPerPub,
        double MeanWaitUs, double WaitingPct, double CallUs, double BytesPerPub);

    private static async Task<Result> MeasureAsync(int publishers, Layout layout, int subscribers, TimeSpan duration)
    {
        var options = new SocketServerOptions();
        using var io = new SocketServer(options);
        var hubs = new ChannelHub[publishers];
        var channels = new string[publishers];
        var counter = new CountingSubscriber.Total();
        for (var i = 0; i < publishers; i++)
        {
            hubs[i] = (layout == Layout.OneNamespace ? io.Main : io.Of($"/p{i}")).Channels;
            channels[i] = $"channel-{i}";
            for (var s = 0; s < subscribers; s++)
            {
                await hubs[i].SubscribeAsync(channels[i], new CountingSubscriber($"sub-{i}-{s}", counter));
            }
        }
        object?[] args = ["@0000000000000000000:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"];
        var stop = 0;
        var published = new long[publishers];
        var waited = new long[publishers];
        var waitedTicks = new long[publishers];
        var callTicks = new long[publishers];
        using var start = new Barrier(publishers + 1);
        var threads = Enumerable.Range(0, publishers).Select(i => new Thread(() =>
        {
            var hub = hubs[i];
            string[] target = [channels[i]];
            start.SignalAndWait();
            long count = 0;
            long waits = 0;
            long waitTicks = 0;
            long inCalls = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                var called = Stopwatch.GetTimestamp();
                var pending = hub.PublishAsync(target, "msg", args);
                if (!pending.IsCompleted)
                {
                    waits++;
                    var t0 = Stopwatch.GetTimestamp();
                    pending.AsTask().GetAwaiter().GetResult();
                    waitTicks += Stopwatch.GetTimestamp() - t0;
                }
                else
                {
                    pending.GetAwaiter().GetResult();
                }
                inCalls += Stopwatch.GetTimestamp() - called;
                count++;
            }
            published[i] = count;
            callTicks[i] = inCalls;
            waited[i] = waits;
            waitedTicks[i] = waitTicks;
        })
        { IsBackground = true, Name = $"publisher-{i}" }).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var contentions0 = Monitor.LockContentionCount;
        var pool0 = ThreadPool.CompletedWorkItemCount;
        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        start.SignalAndWait();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        foreach (var t in threads)
        {
            t.Join();
        }
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        var total = published.Sum();
        return new Result(
            total / wall,
            100 * cpu / wall,
            1e6 * cpu / Math.Max(1, total),
            100.0 * waited.Sum() / Math.Max(1, total),
            1000.0 * (Monitor.LockContentionCount - contentions0) / Math.Max(1, total),
            (double)(ThreadPool.CompletedWorkItemCount - pool0) / Math.Max(1, total),
            waited.Sum() == 0 ? 0 : 1e6 * waitedTicks.Sum() / Stopwatch.Frequency / waited.Sum(),
            100.0 * waitedTicks.Sum() / Stopwatch.Frequency / (wall * publishers),
            1e6 * callTicks.Sum() / Stopwatch.Frequency / Math.Max(1, total),
            (double)allocated / Math.Max(1, total));
    }
}
