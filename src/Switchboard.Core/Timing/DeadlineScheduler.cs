using System.Collections.Concurrent;

namespace Switchboard.Timing;

/// <summary>Something that is told when a deadline it scheduled falls due.</summary>
internal interface IDeadlineTarget
{
    /// <param name="token">The token given when scheduling; targets ignore deadlines whose token is stale.</param>
    /// <param name="due">The timestamp the deadline was due at (the scan may run a tick later).</param>
    void OnDeadline(int token, long due);
}

/// <summary>
/// One periodic scan for every timed thing of a server (heartbeats, connect timeouts), instead of a
/// timer per connection. Each <see cref="Lane"/> has a fixed delay, so its entries fall due in the order
/// they were scheduled and a lane is a plain FIFO queue: scheduling and expiry are O(1), and a
/// rescheduled deadline leaves its stale entry behind to be skipped by its token.
/// </summary>
internal sealed class DeadlineScheduler : IDisposable
{
    private readonly TimeProvider _time;
    private readonly List<Lane> _lanes = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public DeadlineScheduler(TimeProvider time, TimeSpan tick)
    {
        _time = time;
        Tick = tick;
        _loop = RunAsync();
    }

    public TimeSpan Tick { get; }

    public TimeProvider Time => _time;

    public Lane CreateLane(TimeSpan delay)
    {
        var lane = new Lane(this, delay);
        lock (_lanes)
        {
            _lanes.Add(lane);
        }
        return lane;
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Lane[] lanes;
                lock (_lanes)
                {
                    lanes = [.. _lanes];
                }
                var now = _time.GetTimestamp();
                foreach (var lane in lanes)
                {
                    lane.Expire(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    internal sealed class Lane(DeadlineScheduler owner, TimeSpan delay)
    {
        private readonly ConcurrentQueue<Entry> _entries = new();
        private readonly long _delayTicks = (long)(delay.TotalSeconds * owner._time.TimestampFrequency);

        public TimeSpan Delay => delay;

        public long DelayTicks => _delayTicks;

        /// <summary>
        /// Schedules a deadline <see cref="Delay"/> after <paramref name="from"/> (a timestamp; now when
        /// omitted); returns its due timestamp.
        /// </summary>
        public long Schedule(IDeadlineTarget target, int token, long? from = null)
        {
            var due = (from ?? owner._time.GetTimestamp()) + _delayTicks;
            _entries.Enqueue(new Entry(due, target, token));
            return due;
        }

        internal void Expire(long now)
        {
            while (_entries.TryPeek(out var entry) && entry.Due <= now)
            {
                if (_entries.TryDequeue(out entry))
                {
                    entry.Target.OnDeadline(entry.Token, entry.Due);
                }
            }
        }

        private readonly record struct Entry(long Due, IDeadlineTarget Target, int Token);
    }
}
