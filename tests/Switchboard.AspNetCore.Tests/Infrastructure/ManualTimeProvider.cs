namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A clock that only moves when told to. <see cref="Jump"/> moves it forward in one step and then fires
/// each timer that fell due once (periodic timers coalesce, like a timer whose thread was stalled), so
/// a test can make the server's periodic scan run late, by exactly as much as it wants.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<ManualTimer> _timers = [];
    private readonly List<(TimeSpan DueTime, int Remaining, TaskCompletionSource Scheduled)> _watches = [];
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _now);

    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Completes when timers due <paramref name="dueTime"/> from their start have been started
    /// <paramref name="occurrences"/> times from now on: the way to know that the code under test is
    /// waiting on this clock before moving it.
    /// </summary>
    public Task WhenScheduled(TimeSpan dueTime, int occurrences = 1)
    {
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_timers)
        {
            _watches.Add((dueTime, occurrences, scheduled));
        }
        return scheduled.Task;
    }

    private void OnScheduled(TimeSpan dueTime)
    {
        for (var i = _watches.Count - 1; i >= 0; i--)
        {
            var (due, remaining, scheduled) = _watches[i];
            if (due != dueTime)
            {
                continue;
            }
            if (remaining > 1)
            {
                _watches[i] = (due, remaining - 1, scheduled);
                continue;
            }
            _watches.RemoveAt(i);
            scheduled.TrySetResult();
        }
    }

    public void Jump(TimeSpan delta)
    {
        var now = Interlocked.Add(ref _now, delta.Ticks);
        List<ManualTimer> due;
        lock (_timers)
        {
            due = [.. _timers.Where(t => t.Due <= now)];
        }
        foreach (var timer in due)
        {
            timer.Fire(now);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period;

        public long Due { get; private set; } = long.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
                _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    Due = owner.GetTimestamp() + dueTime.Ticks;
                    owner._timers.Add(this);
                    owner.OnScheduled(dueTime);
                }
            }
            return true;
        }

        public void Fire(long now)
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
                if (_period > 0)
                {
                    Due = now + _period;
                    owner._timers.Add(this);
                }
            }
            callback(state);
        }

        public void Dispose()
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
