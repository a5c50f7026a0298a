using System.Threading.Tasks.Sources;

namespace Switchboard.Engine;

/// <summary>
/// A queue of items waiting for a transport: many writers, one reader at a time. An Engine.IO
/// session's frames (<see cref="OutboundQueue"/>: the held poll or the WebSocket's writer reads) and a
/// channel connection's messages (<c>ChannelMessageQueue</c>: its SSE, long-poll or WebSocket transport). Lighter than an unbounded <c>Channel</c>, whose empty
/// segment alone is about 2 KB: an idle session holds a ring of four slots, allocated with its first
/// frame, and one reusable waiter instead of a waiter object per wait.
/// </summary>
/// <remarks>
/// The reader is woken by a thread-pool work item queued to the global queue, in the order of the
/// wake-ups: a broadcast wakes thousands of writers from one thread, and a waiter's own asynchronous
/// continuations (<c>RunContinuationsAsynchronously</c>) would go to that thread's local queue, which
/// it serves last-in first-out — the first recipients of a message would wait behind the later ones
/// and behind the next messages. The work item is the queue itself: nothing is allocated per wake-up.
/// <para>
/// A transport that can send on any thread attaches an <see cref="IDirectSender{T}"/>. A frame written with
/// <c>direct</c> (an ack, a ping) while the reader waits on an empty queue is then sent on the writing
/// thread, and the wake-up is saved. The reader stays parked, and is not woken, until that send is
/// done: only one thread sends at a time, and frames written meanwhile are queued behind it. A send
/// that does not complete at once (or fails) is handed to the reader, which finishes it before anything else.
/// </para>
/// <para>
/// The queue keeps a byte budget (<see cref="MaxBytes"/>): every item weighs what <see cref="SizeOf"/>
/// says (its bytes plus a fixed overhead), and a write that would take the queued weight past the budget
/// is refused with <see cref="QueueWrite.OverBudget"/>, so that the owner applies its slow-consumer
/// policy. One item is always accepted into an empty queue, however large: otherwise a message larger
/// than the budget could never be sent. Items of weight 0 (control items) are never refused.
/// </para>
/// </remarks>
internal partial class OutboundQueue<T> : IValueTaskSource<bool>, IThreadPoolWorkItem
    where T : struct
{
    private const int InitialCapacity = 4;

    // When the ring grew past this while busy, it is dropped once drained so an idle session does not keep it.
    private const int KeptCapacity = 16;

    private T[]? _items;
    private int _head;
    private int _count;
    private long _bytes;
    private long _maxBytes = long.MaxValue;
    private bool _completed;
    private bool _waiting;

    // Set from the start of an asynchronous wait until its result is taken (GetResult), so a second
    // reader is refused even in the windows where _waiting is false: before the wait is published, and
    // between the wake-up and the awaiter taking the result (a new wait would reset the waiter under it).
    private bool _hasReader;
    private ManualResetValueTaskSourceCore<bool> _waiter;
    private CancellationTokenRegistration _cancellation;
    private bool _wakeResult;
    private Exception? _wakeError;

    private IDirectSender<T>? _sender;

    // When the write in progress started (a TimeProvider timestamp), or NotSending: every connection's
    // writes are timed here, and one scan per server or namespace reads it (no timer per write).
    private const long NotSending = long.MinValue;
    private long _sendStarted = NotSending;

    // A frame is being sent on the thread that wrote it; the parked reader must not be woken until it is done.
    private bool _sending;
    private bool _waitCancellable;
    private ValueTask _unfinished;

    private object Sync => this;

    /// <summary>True once completed and drained: nothing will ever be read again.</summary>
    public bool IsFinished
    {
        get
        {
            lock (Sync)
            {
                return _completed && _count == 0;
            }
        }
    }

    /// <summary>The most bytes (as weighed by <see cref="SizeOf"/>) that may wait; unlimited by default.</summary>
    public long MaxBytes
    {
        get => Volatile.Read(ref _maxBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxBytes, value);
        }
    }

    /// <summary>The weight of what waits in the queue now.</summary>
    public long QueuedBytes
    {
        get
        {
            lock (Sync)
            {
                return _bytes;
            }
        }
    }

    /// <summary>The transport starts a write to the client, at <paramref name="now"/> (a TimeProvider timestamp).</summary>
    public void BeginSend(long now) => Volatile.Write(ref _sendStarted, now);

    /// <summary>The write begun with <see cref="BeginSend"/> is done.</summary>
    public void EndSend() => Volatile.Write(ref _sendStarted, NotSending);

    /// <summary>Whether a write to the client is under way.</summary>
    public bool IsSending => Volatile.Read(ref _sendStarted) != NotSending;

    /// <summary>
    /// True, once, when the write under way started more than <paramref name="timeout"/> before
    /// <paramref name="now"/>: the client is taken for one that stopped reading, and the write is no longer timed.
    /// </summary>
    public bool TryExpireSend(long now, TimeSpan timeout, TimeProvider time)
    {
        var started = Volatile.Read(ref _sendStarted);
        return started != NotSending && time.GetElapsedTime(started, now) > timeout
            && Interlocked.CompareExchange(ref _sendStarted, NotSending, started) == started;
    }

    /// <summary>Stops timing the write under way; true when there was one.</summary>
    public bool TryForgetSend() => Interlocked.Exchange(ref _sendStarted, NotSending) != NotSending;

    /// <summary>What an item weighs against <see cref="MaxBytes"/>; 0 (the default) for items that never count.</summary>
    protected virtual long SizeOf(in T item) => 0;

    public bool TryWrite(in T frame) => Write(frame, direct: false) == QueueWrite.Written;

    public bool TryWrite(in T frame, bool direct) => Write(frame, direct) == QueueWrite.Written;

    /// <summary>
    /// Queues a frame; with <paramref name="direct"/>, sends it on this thread instead when a sender is
    /// attached, nothing is queued or being sent, and the reader is waiting (see the remarks). For single
    /// replies only: a loop over many sessions should queue, so that no connection's send delays the others.
    /// Refused when the queue is completed, or when the frame would take it past its byte budget.
    /// </summary>
    /// <param name="frame">The frame to send.</param>
    /// <param name="direct">Send on this thread when nothing else is queued or being sent.</param>
    /// <param name="force">Queues even past the budget (what is owed, such as a replay, or a policy's own signal).</param>
    public QueueWrite Write(in T frame, bool direct = false, bool force = false)
    {
        IDirectSender<T>? sender = null;
        var size = SizeOf(frame);
        lock (Sync)
        {
            if (_completed)
            {
                return QueueWrite.Completed;
            }
            if (size > 0 && _count > 0 && _bytes + size > _maxBytes && !force)
            {
                return QueueWrite.OverBudget;
            }
            if (direct && _waiting && !_sending && !_waitCancellable && _sender is { } attached)
            {
                // _waiting implies an empty queue, as long as nothing is being sent directly.
                _sending = true;
                sender = attached;
            }
            else
            {
                var items = _items ??= new T[InitialCapacity];
                if (_count == items.Length)
                {
                    items = Grow(items);
                }
                items[(_head + _count) % items.Length] = frame;
                _count++;
                _bytes += size;
                if (!_waiting || _sending)
                {
                    return QueueWrite.Written;
                }
                _waiting = false;
            }
        }
        if (sender is null)
        {
            Wake(true, null);
        }
        else
        {
            SendDirect(sender, frame);
        }
        return QueueWrite.Written;
    }

    /// <summary>Lets <see cref="TryWrite(in T, bool)"/> send through <paramref name="sender"/> (null: queue only).</summary>
    internal void AttachSender(IDirectSender<T>? sender)
    {
        lock (Sync)
        {
            _sender = sender;
        }
    }

    /// <summary>
    /// The send a writing thread started and did not finish (or that failed): the reader awaits it after
    /// each wait and before it sends anything. Completed when there is none.
    /// </summary>
    public ValueTask TakeUnfinishedSend()
    {
        lock (Sync)
        {
            var unfinished = _unfinished;
            _unfinished = default;
            return unfinished;
        }
    }

    private void SendDirect(IDirectSender<T> sender, in T frame)
    {
        ValueTask sent;
        try
        {
            sent = sender.Send(frame);
        }
        catch (Exception ex)
        {
            sent = ValueTask.FromException(ex);
        }
        if (sent.IsCompletedSuccessfully)
        {
            // Releases a pooled source, if the send completed asynchronously before this check.
            sent.GetAwaiter().GetResult();
            sent = default;
        }
        bool result;
        lock (Sync)
        {
            _sending = false;
            _unfinished = sent;
            var handOver = !sent.IsCompletedSuccessfully;
            if (_count == 0 && !_completed && !handOver)
            {
                return;
            }
            // Nothing else wakes the reader while a frame is sent directly, so it is still waiting.
            _waiting = false;
            result = _count > 0 || !_completed;
        }
        Wake(result, null);
    }

    public bool TryRead(out T frame)
    {
        lock (Sync)
        {
            if (_count == 0)
            {
                frame = default;
                return false;
            }
            var items = _items!;
            frame = items[_head];
            items[_head] = default;
            _head = (_head + 1) % items.Length;
            _count--;
            _bytes -= SizeOf(frame);
            if (_count == 0)
            {
                _head = 0;
                _bytes = 0;
                if (items.Length > KeptCapacity)
                {
                    _items = null;
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Takes out every queued item that <paramref name="drop"/> selects (keeping the others in order) and
    /// hands each to <paramref name="dropped"/>, under the queue's lock: both must be quick and must not
    /// touch the queue. Returns how many were dropped.
    /// </summary>
    public int RemoveWhere<TState>(Func<T, TState, bool> drop, Action<T, TState> dropped, TState state)
    {
        lock (Sync)
        {
            if (_count == 0)
            {
                return 0;
            }
            var items = _items!;
            var kept = 0;
            var removed = 0;
            for (var i = 0; i < _count; i++)
            {
                var item = items[(_head + i) % items.Length];
                if (drop(item, state))
                {
                    _bytes -= SizeOf(item);
                    dropped(item, state);
                    removed++;
                }
                else
                {
                    items[(_head + kept) % items.Length] = item;
                    kept++;
                }
            }
            for (var i = kept; i < _count; i++)
            {
                items[(_head + i) % items.Length] = default;
            }
            _count = kept;
            if (kept == 0)
            {
                _head = 0;
                _bytes = 0;
            }
            return removed;
        }
    }

    /// <summary>
    /// Lets go of the ring when nothing is queued: a session that waits keeps no slots (the next write
    /// allocates them again). The heartbeat calls it once a ping interval, so a busy session pays at most
    /// one small allocation per interval (docs/performance.md, S1). True when a ring was let go.
    /// </summary>
    public bool TrimIfEmpty()
    {
        lock (Sync)
        {
            if (_count != 0 || _items is null)
            {
                return false;
            }
            _items = null;
            _head = 0;
            return true;
        }
    }

    /// <summary>Drops everything queued (the queue stays open).</summary>
    public void Clear()
    {
        lock (Sync)
        {
            _items = null;
            _head = 0;
            _count = 0;
            _bytes = 0;
        }
    }

    /// <summary>
    /// No more frames: the reader drains what is queued, then its wait returns false. With
    /// <paramref name="discard"/>, what is queued is dropped at once instead (the connection is gone, or
    /// is being cut): nothing it held stays referenced.
    /// </summary>
    public void Complete(bool discard = false)
    {
        lock (Sync)
        {
            if (discard)
            {
                _items = null;
                _head = 0;
                _count = 0;
                _bytes = 0;
            }
            if (_completed)
            {
                return;
            }
            _completed = true;
            if (!_waiting || _sending)
            {
                return;
            }
            _waiting = false;
        }
        Wake(false, null);
    }

    private T[] Grow(T[] items)
    {
        var bigger = new T[items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            bigger[i] = items[(_head + i) % items.Length];
        }
        _head = 0;
        _items = bigger;
        return bigger;
    }
}
