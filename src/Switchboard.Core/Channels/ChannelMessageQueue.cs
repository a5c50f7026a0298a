using System.Threading.Tasks.Sources;

namespace Switchboard.Channels;

/// <summary>
/// A channel connection's outbound queue: many writers (the hub's deliveries, disconnects, signals),
/// one reader at a time (its transport). Built like the engine sessions' <c>OutboundQueue</c> and for the
/// same reasons: an unbounded <c>Channel</c> costs about 2 KB of segment per connection, which a fan-out
/// to thousands of connections walks through on every publication, and a waiter object per wait with a
/// cancellable token. Here an idle connection holds a ring of four slots and one reusable waiter; the
/// reader is woken by a thread-pool work item on the global queue, in the order of the wake-ups, and
/// the work item is the queue itself, so nothing is allocated per wake-up.
/// </summary>
internal sealed class ChannelMessageQueue : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    private const int InitialCapacity = 4;

    // When the ring grew past this while busy (a replay, a slow client), it is dropped once drained.
    private const int KeptCapacity = 16;

    private ChannelMessage[]? _items;
    private int _head;
    private int _count;
    private bool _completed;
    private bool _waiting;
    private ManualResetValueTaskSourceCore<bool> _waiter;
    private CancellationTokenRegistration _cancellation;
    private bool _wakeResult;
    private Exception? _wakeError;

    private object Sync => this;

    public bool TryWrite(in ChannelMessage message)
    {
        lock (Sync)
        {
            if (_completed)
            {
                return false;
            }
            var items = _items ??= new ChannelMessage[InitialCapacity];
            if (_count == items.Length)
            {
                items = Grow(items);
            }
            items[(_head + _count) % items.Length] = message;
            _count++;
            if (!_waiting)
            {
                return true;
            }
            _waiting = false;
        }
        Wake(true, null);
        return true;
    }

    public bool TryRead(out ChannelMessage message)
    {
        lock (Sync)
        {
            if (_count == 0)
            {
                message = default;
                return false;
            }
            var items = _items!;
            message = items[_head];
            items[_head] = default;
            _head = (_head + 1) % items.Length;
            _count--;
            if (_count == 0)
            {
                _head = 0;
                if (items.Length > KeptCapacity)
                {
                    _items = null;
                }
            }
            return true;
        }
    }

    /// <summary>No more messages: the reader drains what is queued, then its wait returns false.</summary>
    public void Complete()
    {
        lock (Sync)
        {
            if (_completed)
            {
                return;
            }
            _completed = true;
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        Wake(false, null);
    }

    /// <summary>
    /// Completes with true when a message can be read, false when the queue is completed and empty. One
    /// reader at a time; without a cancellable token nothing is allocated or registered.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellation = default)
    {
        lock (Sync)
        {
            if (_count > 0 || _completed)
            {
                return new ValueTask<bool>(_count > 0);
            }
            if (_waiting)
            {
                throw new InvalidOperationException("A channel connection's queue has one reader at a time.");
            }
        }
        if (cancellation.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellation);
        }
        _waiter.Reset();
        var version = _waiter.Version;
        if (cancellation.CanBeCanceled)
        {
            // Registered before the wait is published, so a completion never races the registration.
            _cancellation = cancellation.UnsafeRegister(static (state, token) => ((ChannelMessageQueue)state!).CancelWait(token), this);
        }
        lock (Sync)
        {
            if (_count == 0 && !_completed && !cancellation.IsCancellationRequested)
            {
                _waiting = true;
                return new ValueTask<bool>(this, version);
            }
        }
        DisposeRegistration();
        return cancellation.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellation) : new ValueTask<bool>(IsReadable());
    }

    private bool IsReadable()
    {
        lock (Sync)
        {
            return _count > 0;
        }
    }

    private void CancelWait(CancellationToken token)
    {
        lock (Sync)
        {
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        Wake(false, new OperationCanceledException(token));
    }

    private void Wake(bool result, Exception? error)
    {
        _wakeResult = result;
        _wakeError = error;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (_wakeError is { } error)
        {
            _wakeError = null;
            _waiter.SetException(error);
        }
        else
        {
            _waiter.SetResult(_wakeResult);
        }
    }

    private void DisposeRegistration()
    {
        var registration = _cancellation;
        _cancellation = default;
        registration.Dispose();
    }

    private ChannelMessage[] Grow(ChannelMessage[] items)
    {
        var bigger = new ChannelMessage[items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = items[(_head + i) % items.Length];
        }
        _head = 0;
        _items = bigger;
        return bigger;
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        DisposeRegistration();
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
