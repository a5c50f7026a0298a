using System.Diagnostics;
using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>Load shapes, each on a dedicated thread of the generator: closed loop (saturation) and open loop (fixed rate).</summary>
internal static class Phases
{
    /// <summary>
    /// Publishes while fewer than <paramref name="window"/> messages are in flight (sent but not yet
    /// delivered to all their recipients), until <paramref name="stop"/> is cancelled. When the window
    /// is full it waits until the deliveries free an eighth of it (one message for windows under 16):
    /// woken by the deliveries themselves, so a window of a few messages is kept full, not refilled once
    /// per scheduler tick. Returns how many were sent.
    /// </summary>
    public static Task<long> ClosedLoopAsync(Func<long, bool> publish, Counters counters, long recipientsPerMessage, int window, CancellationToken stop) =>
        Task.Factory.StartNew(() =>
        {
            long sent = 0;
            var refill = Math.Max(1, window / 8);
            // Deliveries before this loop (an earlier row, drained) are not in its window.
            var before = counters.Deliveries;
            while (!stop.IsCancellationRequested)
            {
                if (sent - (counters.Deliveries - before) / recipientsPerMessage < window)
                {
                    if (!publish(sent))
                    {
                        break;
                    }
                    sent++;
                }
                else
                {
                    // A bounded wait: a lost delivery or the stop must not hang the loop.
                    counters.WaitForDeliveries(before + (sent - window + refill) * recipientsPerMessage, TimeSpan.FromMilliseconds(10));
                }
            }
            return sent;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Sends at <paramref name="perSecond"/> for <paramref name="duration"/> from one thread: every tick (about
    /// a millisecond) it writes what the rate owes by then, one after the other, one write each, as an epoll
    /// generator's loop does. Returns how many were sent and in how many ticks: their ratio is how many
    /// requests reach the server together, which sets how many wake-ups it pays per request.
    /// </summary>
    public static Task<(long Sent, long Ticks)> OpenLoopAsync(Func<long, bool> send, double perSecond, TimeSpan duration) =>
        Task.Factory.StartNew(() =>
        {
            var start = Stopwatch.GetTimestamp();
            long sent = 0;
            long ticks = 0;
            while (true)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                if (elapsed >= duration)
                {
                    break;
                }
                var due = (long)(elapsed.TotalSeconds * perSecond) + 1;
                ticks += sent < due ? 1 : 0;
                while (sent < due)
                {
                    if (!send(sent))
                    {
                        return (sent, ticks);
                    }
                    sent++;
                }
                Thread.Sleep(1);
            }
            return (sent, ticks);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Records how the open loop's requests were grouped: requests per tick, and ticks per second.</summary>
    public static void ReportTicks(ScenarioResult result, string key, (long Sent, long Ticks) loop, TimeSpan duration)
    {
        if (loop.Ticks > 0)
        {
            result.Metrics[$"sends_per_tick{key}"] = (double)loop.Sent / loop.Ticks;
            result.Metrics[$"ticks_per_s{key}"] = loop.Ticks / duration.TotalSeconds;
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds or the timeout passes; true if it holds.</summary>
    public static async Task<bool> UntilAsync(Func<bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }

    public static void ReportLatency(ScenarioResult result, string key, LatencyHistogram histogram)
    {
        result.Latencies[key] = histogram;
        result.Metrics[$"p50_ms{key}"] = histogram.Quantile(0.50) / 1e6;
        result.Metrics[$"p99_ms{key}"] = histogram.Quantile(0.99) / 1e6;
        result.Metrics[$"p999_ms{key}"] = histogram.Quantile(0.999) / 1e6;
        result.Metrics[$"samples{key}"] = histogram.Count;
    }

    public static string Rate(double perSecond) =>
        perSecond >= 1000 ? $"{perSecond / 1000:0.#}k/s" : $"{perSecond:0}/s";
}
