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

    /// <summary>
    /// A FIFO of deadlines with one fixed delay: a ring under a lock that clears each slot as its entry
    /// leaves, so nothing is referenced past its deadline, and an entry can be cancelled by its ticket,
    /// so a closed connection is not kept alive by the deadlines it had scheduled. (A
    /// <c>ConcurrentQueue</c> was used before: peeking at it marks its segment as observed, after which
    /// dequeued slots are never cleared, and one segment, up to a million entries, kept every session
    /// that ever passed through it.)
    /// </summary>
    internal sealed class Lane(DeadlineScheduler owner, TimeSpan delay)
    {
        private const int InitialCapacity = 16;

        private readonly Lock _gate = new();
        private readonly long _delayTicks = (long)(delay.TotalSeconds * owner._time.TimestampFrequency);
        private Entry[] _ring = new Entry[InitialCapacity];
        private int _head;
        private int _count;

        // The ticket of the entry at _head; tickets count up from 1, so 0 is never one.
        private long _headTicket = 1;

        public TimeSpan Delay => delay;

        public long DelayTicks => _delayTicks;

        /// <summary>Entries waiting, cancelled ones included (for tests).</summary>
        internal int Count
        {
            get
            {
                lock (_gate)
                {
                    return _count;
                }
            }
        }

        /// <summary>
        /// Schedules a deadline <see cref="Delay"/> after <paramref name="from"/> (a timestamp; now when
        /// omitted); returns its due timestamp.
        /// </summary>
        public long Schedule(IDeadlineTarget target, int token, long? from = null) => Schedule(target, token, out _, from);

        /// <summary>As <see cref="Schedule(IDeadlineTarget, int, long?)"/>, with the ticket that <see cref="Cancel"/> takes.</summary>
        public long Schedule(IDeadlineTarget target, int token, out long ticket, long? from = null)
        {
            var due = (from ?? owner._time.GetTimestamp()) + _delayTicks;
            lock (_gate)
            {
                if (_count == _ring.Length)
                {
                    Grow();
                }
                _ring[(_head + _count) % _ring.Length] = new Entry(due, target, token);
                ticket = _headTicket + _count;
                _count++;
            }
            return due;
        }

        /// <summary>
        /// Forgets a scheduled deadline, so its target is no longer referenced; nothing when it has already
        /// fallen due or was cancelled. O(1): the slot stays until its turn, empty.
        /// </summary>
        public void Cancel(long ticket)
        {
            lock (_gate)
            {
                var offset = ticket - _headTicket;
                if (offset >= 0 && offset < _count)
                {
                    _ring[(_head + (int)offset) % _ring.Length] = default;
                }
            }
        }

        internal void Expire(long now)
        {
            while (TryTakeDue(now, out var entry))
            {
                entry.Target?.OnDeadline(entry.Token, entry.Due);
            }
        }

        private bool TryTakeDue(long now, out Entry entry)
        {
            lock (_gate)
            {
                while (_count > 0)
                {
                    entry = _ring[_head];
                    if (entry.Target is not null && entry.Due > now)
                    {
                        break;
                    }
                    _ring[_head] = default;
                    _head = (_head + 1) % _ring.Length;
                    _count--;
                    _headTicket++;
                    if (entry.Target is not null)
                    {
                        ShrinkIfIdle();
                        return true;
                    }
                }
                ShrinkIfIdle();
                entry = default;
                return false;
            }
        }

        private void Grow()
        {
            var bigger = new Entry[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_head + i) % _ring.Length];
            }
            _ring = bigger;
            _head = 0;
        }

        /// <summary>A ring that grew under a burst is not kept once the lane is empty.</summary>
        private void ShrinkIfIdle()
        {
            if (_count == 0)
            {
                _head = 0;
                if (_ring.Length > InitialCapacity * 64)
                {
                    _ring = new Entry[InitialCapacity];
                }
            }
        }

        private readonly record struct Entry(long Due, IDeadlineTarget? Target, int Token);
    }
}
