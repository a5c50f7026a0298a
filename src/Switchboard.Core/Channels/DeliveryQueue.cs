using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Switchboard.Channels;

/// <summary>
/// A namespace's publications between its order and their recipients, on one node (docs/decisions/0010,
/// "Order only the sequence; deliver behind it"). Under the order a publication only takes its sequence
/// number and offsets, is appended to the log and is added here; a subscription that goes live adds a
/// <see cref="GoLive"/> marker at its point of the order. One drainer at a time hands the items out, in the
/// order they were added. There is no thread of its own: whoever needs an item delivered calls
/// <see cref="TryDeliverThrough"/>, and either drains the queue itself or finds, after spinning briefly,
/// that the drainer at work handed out its item too (flat combining); only when that drainer takes longer
/// does the caller await it (<see cref="DeliverThroughAsync"/>). Uncontended, or resolved by the spin,
/// nothing goes through the thread pool, and nothing is allocated per item once the queue has grown.
/// </summary>
internal sealed class DeliveryQueue(ChannelHub hub)
{
    // How often a caller that finds the drainer at work checks again before it awaits instead.
    private const int SpinsBeforeAwaiting = 12;

    private readonly ConcurrentQueue<Item> _items = new();

    // The drainer's token. A semaphore, not a monitor, so a caller that finds it taken can await it rather
    // than block: a blocked caller could hold a lock the drainer needs (user code runs inside deliveries).
    private readonly SemaphoreSlim _drainer = new(1, 1);

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
    /// no one else is: true at once when the drainer was free (this caller drained) or finished this item
    /// while the caller spun briefly; false when the caller must await <see cref="DeliverThroughAsync"/>.
    /// Call it after releasing the order. From inside a delivery (a recipient that publishes or subscribes
    /// as it is handed something) it returns true at once: the drain under way, on this thread, hands out
    /// that item after the one it is delivering, which keeps the one order.
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
        var spin = new SpinWait();
        while (true)
        {
            if (_drainer.Wait(0))
            {
                Drain(ticket);
                return true;
            }
            if (Volatile.Read(ref _delivered) >= ticket)
            {
                return true;
            }
            if (spin.Count >= SpinsBeforeAwaiting)
            {
                return false;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Completes once every item up to <paramref name="ticket"/> has been delivered, awaiting the drainer at work and then draining.</summary>
    public async ValueTask DeliverThroughAsync(long ticket)
    {
        while (Volatile.Read(ref _delivered) < ticket)
        {
            await _drainer.WaitAsync().ConfigureAwait(false);
            Drain(ticket);
        }
    }

    /// <summary>Holding the drainer's token: delivers, in order, what was added before this drain began, and at least <paramref name="ticket"/>.</summary>
    private void Drain(long ticket)
    {
        _drainingThread = Environment.CurrentManagedThreadId;
        try
        {
            // Later items are delivered by those who added them, so one drainer is never kept at it indefinitely.
            _drainTo = Math.Max(Volatile.Read(ref _added), ticket);
            while (_delivered < _drainTo && _items.TryDequeue(out var item))
            {
                Deliver(item);
                Volatile.Write(ref _delivered, item.Ticket);
            }
        }
        finally
        {
            _drainingThread = 0;
            _drainer.Release();
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
