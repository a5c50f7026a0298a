using System.Diagnostics;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.PublishBench;

/// <summary>
/// What a namespace's publishers cost the thread pool when they are what a server's are: async handlers
/// on pool threads, not threads of their own. N publishers on N channels of one namespace, each awaiting
/// its publish in a loop. With the order waited on without awaiting (ADR 0010, "Built"), a publisher that
/// finds the drainer at work blocks its pool thread; counted: the pool's threads (at the start and the
/// most seen, sampled every 50 ms), its work items per publication, publications/s and CPU per publication.
/// </summary>
internal static class PoolBench
{
    public static async Task<int> RunAsync(IReadOnlyList<int> publisherCounts, IReadOnlyList<int> subscriberCounts, TimeSpan duration, int rounds)
    {
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        Console.WriteLine($"# pool: {Environment.ProcessorCount} cores, pool minimum {minWorkers} workers, {duration.TotalSeconds:0.#} s per run, {rounds} round(s); load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("round\tpublishers\tsubscribers\tpubs_per_s\tus_cpu_per_pub\tpool_items_per_pub\tpool_threads_start\tpool_threads_max\tcall_us");
        await MeasureAsync(2, 10, TimeSpan.FromSeconds(1));
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var subscribers in subscriberCounts)
            {
                foreach (var n in publisherCounts)
                {
                    var r = await MeasureAsync(n, subscribers, duration);
                    Console.WriteLine(FormattableString.Invariant(
                        $"{round}\t{n}\t{subscribers}\t{r.PerSecond:0}\t{r.CpuUsPerPub:0.00}\t{r.PoolItemsPerPub:0.000}\t{r.ThreadsStart}\t{r.ThreadsMax}\t{r.CallUs:0.0}"));
                }
            }
        }
        return 0;
    }

    private readonly record struct Result(double PerSecond, double CpuUsPerPub, double PoolItemsPerPub, int ThreadsStart, int ThreadsMax, double CallUs);

    private static async Task<Result> MeasureAsync(int publishers, int subscribers, TimeSpan duration)
    {
        using var io = new SocketServer(new SocketServerOptions());
        var hub = io.Main.Channels;
        var counter = new CountingSubscriber.Total();
        for (var i = 0; i < publishers; i++)
        {
            for (var s = 0; s < subscribers; s++)
            {
                await hub.SubscribeAsync($"channel-{i}", new CountingSubscriber($"sub-{i}-{s}", counter));
            }
        }
        object?[] args = ["@0000000000000000000:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"];
        var stop = 0;
        var published = new long[publishers];
        var callTicks = new long[publishers];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loops = Enumerable.Range(0, publishers).Select(i => Task.Run(async () =>
        {
            string[] target = [$"channel-{i}"];
            await go.Task;
            long count = 0;
            long inCalls = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                var called = Stopwatch.GetTimestamp();
                await hub.PublishAsync(target, "msg", args);
                inCalls += Stopwatch.GetTimestamp() - called;
                count++;
            }
            published[i] = count;
            callTicks[i] = inCalls;
        })).ToArray();
        var threadsStart = ThreadPool.ThreadCount;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var pool0 = ThreadPool.CompletedWorkItemCount;
        var clock = Stopwatch.StartNew();
        go.SetResult();
        var threadsMax = threadsStart;
        // Sampled from a dedicated thread: a sampler on the pool would wait for the pool it measures.
        var sampler = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                threadsMax = Math.Max(threadsMax, ThreadPool.ThreadCount);
                Thread.Sleep(50);
            }
        })
        { IsBackground = true };
        sampler.Start();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        sampler.Join();
        await Task.WhenAll(loops);
        var wall = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var total = Math.Max(1, published.Sum());
        return new Result(total / wall, 1e6 * cpu / total, (double)(ThreadPool.CompletedWorkItemCount - pool0) / total, threadsStart, threadsMax,
            1e6 * callTicks.Sum() / Stopwatch.Frequency / total);
    }
}
