using Switchboard.Engine;

namespace Switchboard.Channels;

public enum ChannelMessageKind
{
    /// <summary>A publication (live or replayed).</summary>
    Publication,

    /// <summary>The position asked for in a channel cannot be continued; live delivery goes on from <see cref="ChannelMessage.Top"/>.</summary>
    Discontinuity,

    /// <summary>The server ends the connection; <see cref="ChannelMessage.Reason"/> says why.</summary>
    Close,

    /// <summary>
    /// No content: the transport woke itself with <see cref="ChannelConnection.Signal"/> (a heartbeat is
    /// due, its request ended) and looks at its own state to see why.
    /// </summary>
    Signal,
}

/// <summary>One item of a channel connection's outbound queue.</summary>
public readonly record struct ChannelMessage(ChannelMessageKind Kind, ChannelEntry Entry = default, string? Channel = null, StreamPosition Top = default, string? Reason = null);

/// <summary>
/// The common part of every channel-protocol connection (SSE, plain WebSocket, long-poll): an id, the
/// channels it subscribed to, and an outbound queue the transport drains and encodes. A subscriber that
/// lets <see cref="MaxQueued"/> messages pile up is a slow consumer and is disconnected, so it can never
/// hold up a publisher or other subscribers.
/// </summary>
public abstract class ChannelConnection : IChannelConnection, IAsyncDisposable
{
    private readonly ChannelMessageQueue _queue = new();
    private readonly HashSet<string> _channels = new(StringComparer.Ordinal);
    /// <summary>The reason given to <see cref="Disconnect"/> when a connection is dropped as a slow consumer.</summary>
    public const string SlowConsumerReason = "slow consumer";

    private int _queued;
    private int _replaying;
    private int _closed;
    private int _signalled;

    protected ChannelConnection(ChannelHub hub, string protocol, ChannelGrant grant, string? connectionId = null)
    {
        Hub = hub;
        Protocol = protocol;
        Grant = grant;
        ConnectionId = connectionId ?? EngineServer.NewSessionId();
        hub.Register(this);
    }

    public ChannelHub Hub { get; }

    public string Protocol { get; }

    public ChannelGrant Grant { get; }

    public string ConnectionId { get; }

    public string? UserId => Grant.UserId;

    /// <summary>The most messages that may wait in the queue before the connection is dropped as a slow consumer.</summary>
    public int MaxQueued { get; init; } = 10_000;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Waits until a message can be taken with <see cref="TryTake"/>; false once the queue is complete
    /// (after a <see cref="ChannelMessageKind.Close"/> message, or disposal) and drained. One waiter at
    /// a time; without a cancellable token nothing is allocated (see <see cref="Signal"/>).
    /// </summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken = default) => _queue.WaitToReadAsync(cancellationToken);

    public IReadOnlyCollection<string> Channels
    {
        get
        {
            lock (_channels)
            {
                return [.. _channels];
            }
        }
    }

    /// <summary>Reads the next message if one is queued, keeping the slow-consumer count.</summary>
    public bool TryTake(out ChannelMessage message)
    {
        if (_queue.TryRead(out message))
        {
            if (message.Kind == ChannelMessageKind.Signal)
            {
                // A full fence: what the signaller did before signalling is seen by the caller, or it signals again.
                Interlocked.Exchange(ref _signalled, 0);
            }
            else
            {
                Interlocked.Decrement(ref _queued);
            }
            return true;
        }
        return false;
    }

    /// <summary>
    /// Wakes the transport with a <see cref="ChannelMessageKind.Signal"/> message, unless one is already
    /// queued, so that it can wait on <see cref="WaitAsync"/> alone, without a token or a second task per
    /// wait: a heartbeat timer or a request's cancellation signals, and the transport sees why in its own
    /// state when it takes the message. Not counted against <see cref="MaxQueued"/>; nothing once the
    /// queue is complete.
    /// </summary>
    public void Signal()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0 && !_queue.TryWrite(new ChannelMessage(ChannelMessageKind.Signal)))
        {
            Volatile.Write(ref _signalled, 0);
        }
    }

    /// <summary>Subscribes to a channel, replaying after <paramref name="since"/> first when given. Returns the channel's position.</summary>
    public async ValueTask<StreamPosition> SubscribeAsync(string channel, StreamPosition? since = null, CancellationToken cancellationToken = default)
    {
        lock (_channels)
        {
            _channels.Add(channel);
        }
        // What a subscription replays is owed, not piling up: it does not count as a slow consumer.
        // (The hub holds its publication order while subscribing, so only replayed entries arrive now.)
        Interlocked.Increment(ref _replaying);
        try
        {
            return await Hub.SubscribeAsync(channel, this, since, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _replaying);
        }
    }

    public void Unsubscribe(string channel)
    {
        lock (_channels)
        {
            _channels.Remove(channel);
        }
        Hub.Unsubscribe(channel, this);
    }

    void IChannelSubscriber.Deliver(in ChannelEntry entry) => Enqueue(new ChannelMessage(ChannelMessageKind.Publication, entry, entry.Channel));

    void IChannelSubscriber.Discontinuity(string channel, StreamPosition top) =>
        Enqueue(new ChannelMessage(ChannelMessageKind.Discontinuity, Channel: channel, Top: top));

    /// <summary>Queues a close message with the reason and completes the queue; the transport then ends the connection.</summary>
    public void Disconnect(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _queue.TryWrite(new ChannelMessage(ChannelMessageKind.Close, Reason: reason));
        _queue.Complete();
    }

    private void Enqueue(ChannelMessage message)
    {
        if (IsClosed)
        {
            return;
        }
        if (Interlocked.Increment(ref _queued) > MaxQueued && Volatile.Read(ref _replaying) == 0)
        {
            Disconnect(SlowConsumerReason);
            return;
        }
        _queue.TryWrite(message);
    }

    /// <summary>Leaves every channel and the hub's registry; call when the transport ends.</summary>
    public virtual ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _closed, 1);
        _queue.Complete();
        foreach (var channel in Channels)
        {
            Hub.Unsubscribe(channel, this);
        }
        Hub.Unregister(this);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
