using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Switchboard.Channels;

/// <summary>
/// A namespace's publications between its order and their recipients, on one node (docs/decisions/0010,
/// "Order only the sequence; deliver behind it"). Under the order a publication only takes its sequence
/// number and offsets, is appended to the log and is added here; a subscription that goes live adds a
/// <see cref="GoLive"/> marker at its point of the order. One drainer at a time hands the items out, in the
/// order they were added. There is no thread of its own: whoever needs an item delivered calls
/// <see cref="TryDeliverThrough"/>, and either drains the queue itself or finds that the drainer at work
/// handed out its item too (flat combining); otherwise it awaits (<see cref="DeliverThroughAsync"/>), and the
/// drainer hands out the waiters' items before it lets go. Uncontended, nothing goes through the thread
/// pool, and nothing is allocated per item once the queue has grown; a caller that waits costs one
/// completion and one pool work item, as an awaited lock would.
/// </summary>
internal sealed class DeliveryQueue(ChannelHub hub)
{
    private readonly ConcurrentQueue<Item> _items = new();

    // The drainer's token (1 while someone drains), only ever tried, never waited on: a caller that finds
    // it taken registers as a waiter and awaits, so it can never block while holding a lock the drainer
    // needs (user code runs inside deliveries and replays, and may publish). Interlocked, not a lock, so an
    // uncontended publish takes no monitor for it.
    private int _draining;

    // Callers awaiting their item's delivery, guarded by itself, and how many there are (read without it).
    private readonly List<(long Ticket, TaskCompletionSource Done)> _waiters = [];
    private int _waiting;

    // The last ticket handed out (written under the hub's order) and the last one delivered (by the drainer).
    private long _added;
    private long _delivered;

    // Only the drainer reads or writes these: the ticket its drain goes on to, and the thread draining.
    private long _drainTo;
    private volatile int _drainingThread;

    /// <summary>Adds a stored publication; the caller holds the order. Returns its ticket.</summary>
    public long Add(Publication publication, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, StreamPosition> positions)
    {
        var ticket = ++_added;
        _items.Enqueue(new Item(ticket, publication, rooms, positions, null));
        return ticket;
    }

    /// <summary>Adds a subscription's switch to live delivery; the caller holds the order. Returns its ticket.</summary>
    public long Add(GoLive marker)
    {
        var ticket = ++_added;
        _items.Enqueue(new Item(ticket, null, null, null, marker));
        return ticket;
    }

    /// <summary>
    /// Whether every item up to <paramref name="ticket"/> has been delivered, delivering what is queued when
    /// no one else is: true when the drainer was free (this caller drained) or had already handed the item
    /// out; false when the caller must await <see cref="DeliverThroughAsync"/>. Call it after releasing the
    /// order. From inside a delivery (a recipient that publishes or subscribes as it is handed something) it
    /// returns true at once: the drain under way, on this thread, hands out that item after the one it is
    /// delivering, which keeps the one order.
    /// </summary>
    public bool TryDeliverThrough(long ticket)
    {
        if (Volatile.Read(ref _delivered) >= ticket)
        {
            return true;
        }
        if (_drainingThread == Environment.CurrentManagedThreadId)
        {
            _drainTo = Math.Max(_drainTo, ticket);
            return true;
        }
        if (TryTakeDrainer())
        {
            Drain(ticket);
            return true;
        }
        return Volatile.Read(ref _delivered) >= ticket;
    }

    /// <summary>
    /// Completes once every item up to <paramref name="ticket"/> has been delivered: by the drainer at work,
    /// which hands out the items of those waiting before it lets go, or by this caller when it is woken to
    /// drain (or finds the drainer free).
    /// </summary>
    public async ValueTask DeliverThroughAsync(long ticket)
    {
        while (true)
        {
            if (TryDeliverThrough(ticket))
            {
                return;
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waiters)
            {
                if (Volatile.Read(ref _delivered) >= ticket)
                {
                    return;
                }
                _waiters.Add((ticket, done));
                _waiting = _waiters.Count;
            }
            // The drainer may have let go between the try above and the registration, before it looked for
            // waiters: try again, now that it cannot miss this one.
            if (TryTakeDrainer())
            {
                Drain(ticket);
                return;
            }
            await done.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Holding the drainer's token: delivers, in order, what was added before this drain began (at least <paramref name="ticket"/>) and what those waiting need; then wakes them.</summary>
    private void Drain(long ticket)
    {
        _drainingThread = Environment.CurrentManagedThreadId;
        try
        {
            // Later items are delivered by those who added them, so one drainer is never kept at it indefinitely.
            _drainTo = Math.Max(Volatile.Read(ref _added), ticket);
            DrainTo();
            // Once more for those already waiting: they are not draining, and handing out their items here
            // saves each a hand-off through the thread pool.
            if (Volatile.Read(ref _waiting) > 0)
            {
                lock (_waiters)
                {
                    foreach (var (waiting, _) in _waiters)
                    {
                        _drainTo = Math.Max(_drainTo, waiting);
                    }
                }
                DrainTo();
            }
        }
        finally
        {
            _drainingThread = 0;
            // A full fence: a waiter that found the token taken registered before this, so Wake sees it.
            Interlocked.Exchange(ref _draining, 0);
            if (Volatile.Read(ref _waiting) > 0)
            {
                Wake();
            }
        }
    }

    private bool TryTakeDrainer() => Interlocked.CompareExchange(ref _draining, 1, 0) == 0;

    private void DrainTo()
    {
        while (_delivered < _drainTo && _items.TryDequeue(out var item))
        {
            Deliver(item);
            Volatile.Write(ref _delivered, item.Ticket);
        }
    }

    /// <summary>After a drain: completes the waiters whose items are delivered, and wakes one to drain if items remain and no one is draining.</summary>
    private void Wake()
    {
        lock (_waiters)
        {
            if (_waiters.Count == 0)
            {
                return;
            }
            var delivered = Volatile.Read(ref _delivered);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Ticket <= delivered)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
            if (_waiters.Count > 0 && Volatile.Read(ref _draining) == 0)
            {
                _waiters[0].Done.TrySetResult();
                _waiters.RemoveAt(0);
            }
            _waiting = _waiters.Count;
        }
    }

    private void Deliver(in Item item)
    {
        if (item.Marker is { } marker)
        {
            marker.Run();
            return;
        }
        try
        {
            hub.DeliverInOrder(item.Publication!, item.Rooms!, item.Positions!);
        }
        catch (Exception ex)
        {
            // Recipients' failures are caught one by one; whatever else fails, the publication is stored
            // and the ones behind it still go out.
            hub.Log.DeliveryFailed(hub.Name, item.Publication!.Seq, "its recipients", ex);
        }
    }

    private readonly record struct Item(long Ticket, Publication? Publication, IReadOnlyCollection<string>? Rooms,
        IReadOnlyDictionary<string, StreamPosition>? Positions, GoLive? Marker);
}

/// <summary>
/// A subscription's switch from replay to live delivery, at its point of the namespace's order: what it
/// does (add the subscriber, join the room) runs after every publication ordered before it has been
/// delivered and before any ordered after it.
/// </summary>
internal sealed class GoLive(Action goLive)
{
    private ExceptionDispatchInfo? _failure;

    /// <summary>Its ticket in the <see cref="DeliveryQueue"/>.</summary>
    public long Ticket { get; set; }

    /// <summary>Runs the switch; a failure is kept for the subscriber, which rethrows it (<see cref="ThrowIfFailed"/>).</summary>
    public void Run()
    {
        try
        {
            goLive();
        }
        catch (Exception ex)
        {
            _failure = ExceptionDispatchInfo.Capture(ex);
        }
    }

    /// <summary>Rethrows what the switch failed with, to the subscriber that asked for it.</summary>
    public void ThrowIfFailed() => _failure?.Throw();
}
