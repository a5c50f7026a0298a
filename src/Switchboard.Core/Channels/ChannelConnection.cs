using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.Channels;

/// <summary>
/// The common part of every channel-protocol connection (SSE, plain WebSocket, long-poll): an id, the
/// channels it subscribed to, and an outbound queue the transport drains and encodes. The queue has a
/// byte budget (<see cref="MaxQueuedBytes"/>) and a message cap (<see cref="MaxQueued"/>); a subscriber
/// that reaches either gets its channel's <see cref="SlowConsumerPolicy"/> (disconnected by default), and
/// a write that takes longer than <see cref="SendTimeout"/> drops the connection, so it can never hold up
/// a publisher or other subscribers, nor cost more than its budget.
/// </summary>
public abstract partial class ChannelConnection : IChannelConnection, IAsyncDisposable
{
    private readonly ChannelMessageQueue _queue = new();

    // Slow-consumer rules of the subscribed channels that have one other than Disconnect (null: none).
    private Dictionary<string, SlowConsumerRule>? _rules;

    // Under LatestPerKey: the newest publication of each (channel, key) whose placeholder waits in the queue.
    private Dictionary<(string Channel, string Key), ChannelEntry>? _latest;
    private readonly Lock _policyGate = new();

    private readonly HashSet<string> _channels = new(StringComparer.Ordinal);

    private int _queued;
    private int _replaying;
    private int _closed;
    private int _signalled;

    /// <summary>A connection of <paramref name="protocol"/> on <paramref name="hub"/>'s channels.</summary>
    /// <param name="hub">The namespace's channel hub.</param>
    /// <param name="protocol">The protocol's name, for logs and presence.</param>
    /// <param name="grant">What the client may subscribe to and publish on.</param>
    /// <param name="connectionId">The id; a new one when null.</param>
    protected ChannelConnection(ChannelHub hub, string protocol, ChannelGrant grant, string? connectionId = null)
    {
        Hub = hub;
        Protocol = protocol;
        Grant = grant;
        ConnectionId = connectionId ?? EngineServer.NewSessionId();
        _queue.MaxBytes = hub.Options.MaxQueuedBytes;
        _sendTimeout = hub.Options.SendTimeout;
        hub.Register(this);
        CountOpened();
    }

    /// <summary>The most bytes that may wait for the client (see <see cref="ChannelOptions.MaxQueuedBytes"/>); the namespace's setting unless changed.</summary>
    public long MaxQueuedBytes
    {
        get => _queue.MaxBytes;
        init => _queue.MaxBytes = value;
    }

    /// <summary>How long one write to the client may take (see <see cref="ChannelOptions.SendTimeout"/>); the namespace's setting unless changed.</summary>
    public TimeSpan SendTimeout
    {
        get => _sendTimeout;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            _sendTimeout = value;
            Hub.ScanSendsWithin(value);
        }
    }

    private readonly TimeSpan _sendTimeout;

    /// <summary>The bytes waiting for the client now.</summary>
    public long QueuedBytes => _queue.QueuedBytes;

    /// <summary>Whether a write to the client is under way.</summary>
    public bool IsSending => _queue.IsSending;

    string Connections.IConnection.Id => ConnectionId;

    /// <summary>The hub of the namespace whose channels the connection reaches.</summary>
    public ChannelHub Hub { get; }

    /// <summary>The protocol's name (<c>sse</c>, <c>websocket</c>, <c>longpoll</c>), for logs and presence.</summary>
    public string Protocol { get; }

    /// <summary>What the client may subscribe to and publish on.</summary>
    public ChannelGrant Grant { get; }

    /// <summary>The connection's id, unique on this node.</summary>
    public string ConnectionId { get; }

    /// <summary>The user the grant names, or null for an anonymous client.</summary>
    public string? UserId => Grant.UserId;

    /// <summary>The most messages that may wait in the queue before the connection is dropped as a slow consumer.</summary>
    public int MaxQueued { get; init; } = 10_000;

    /// <summary>Whether the connection was closed (by either side).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Waits until a message can be taken with <see cref="TryTake"/>; false once the queue is complete
    /// (after a <see cref="ChannelMessageKind.Close"/> message, or disposal) and drained. One waiter at
    /// a time; without a cancellable token nothing is allocated (see <see cref="Signal"/>).
    /// </summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken = default) => _queue.WaitToReadAsync(cancellationToken);

    /// <summary>The channels the connection is subscribed to now.</summary>
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
            else if (message.Kind is ChannelMessageKind.Publication or ChannelMessageKind.Discontinuity)
            {
                // Only these count against MaxQueued (a close and a transport's own frame do not).
                Interlocked.Decrement(ref _queued);
                if (message.Key is { } key)
                {
                    message = TakeLatest(message, key);
                }
            }
            return true;
        }
        return false;
    }

    /// <summary>A conflated publication's placeholder was taken: what goes out is the newest of its key.</summary>
    private ChannelMessage TakeLatest(in ChannelMessage placeholder, string key)
    {
        ChannelEntry latest;
        lock (_policyGate)
        {
            if (_latest is null || !_latest.Remove((placeholder.Channel!, key), out latest))
            {
                latest = placeholder.Entry;
            }
        }
        return placeholder with { Entry = latest, Key = null };
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
        var rule = Hub.Options.SlowConsumerRuleFor(channel);
        if (rule.Policy != SlowConsumerPolicy.Disconnect)
        {
            lock (_policyGate)
            {
                (_rules ??= new Dictionary<string, SlowConsumerRule>(StringComparer.Ordinal))[channel] = rule;
            }
        }
        // What a subscription replays is owed, not piling up: it does not count as a slow consumer.
        // (The hub reads and sends the replay under its publication order; while the subscription then
        // waits for its switch to live, publications ordered before it may still reach this connection's
        // other channels: a bounded few, exempt as well.)
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

    /// <summary>Stops delivering <paramref name="channel"/> to this connection; nothing happens when it was not subscribed.</summary>
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

    /// <summary>Disconnects with <see cref="DisconnectCode.Disconnected"/> and <paramref name="reason"/> as its message (the application's, the HTTP API's).</summary>
    public void Disconnect(string reason) => Disconnect(DisconnectCode.Disconnected, reason);

    /// <summary>
    /// Queues a close message with the code and a message for people (the code's own description when
    /// null), and completes the queue; the transport then ends the connection. The first call wins.
    /// </summary>
    public void Disconnect(DisconnectCode code, string? message = null)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _closeCode = code;
        if (code == DisconnectCode.SlowConsumer)
        {
            Hub.Metrics.SlowConsumer(Protocol, "disconnect");
            OnSlowConsumer();
            // What waits will never be read: released at once, only the close goes out.
            _queue.Clear();
            lock (_policyGate)
            {
                _latest = null;
            }
        }
        _queue.TryWrite(new ChannelMessage(ChannelMessageKind.Close, Reason: message ?? Describe(code), Code: code));
        _queue.Complete();
    }

    /// <summary>
    /// Queues a frame the transport encoded (a reply), behind everything queued before it. It weighs
    /// against the byte budget like a push: a client that does not read its replies is a slow consumer.
    /// False when the connection is closed (or was just disconnected as a slow consumer).
    /// </summary>
    protected bool QueueFrame(byte[] frame)
    {
        switch (_queue.Write(new ChannelMessage(ChannelMessageKind.Frame, Frame: frame)))
        {
            case QueueWrite.Written:
                return true;
            case QueueWrite.OverBudget:
                Disconnect(DisconnectCode.SlowConsumer);
                if (_queue.TryForgetSend())
                {
                    OnSendTimeout();
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>The message sent with a code when no other is given.</summary>
    public static string Describe(DisconnectCode code) =>
        code == DisconnectCode.SlowConsumer ? "slow consumer"
        : code == DisconnectCode.Shutdown ? "server shutting down"
        : code == DisconnectCode.Disconnected ? "disconnected by the server"
        : code.Code.Replace('_', ' ');

    /// <summary>The connection is being disconnected as a slow consumer (for the transport's log); called once.</summary>
    protected virtual void OnSlowConsumer()
    {
    }

    /// <summary>The transport starts a write to the client (the server's one send scan times it).</summary>
    protected void BeginSend() => _queue.BeginSend(Hub.Time.GetTimestamp());

    /// <summary>The write begun with <see cref="BeginSend"/> is done.</summary>
    protected void EndSend() => _queue.EndSend();

    /// <summary>Called by the server's one send scan: a write that has taken longer than <see cref="SendTimeout"/> drops the connection.</summary>
    internal void CheckSend(long now)
    {
        if (_queue.TryExpireSend(now, SendTimeout, Hub.Time))
        {
            OnSendTimeout();
        }
    }

    /// <summary>
    /// A write is stuck: the client stopped reading and the network buffers are full. The transport drops
    /// the connection (the one thing that frees the write) after telling it why where it still can; the
    /// default disconnects it as a slow consumer.
    /// </summary>
    protected virtual void OnSendTimeout() => Disconnect(DisconnectCode.SlowConsumer);

    /// <summary>Leaves every channel and the hub's registry; call when the transport ends.</summary>
    public virtual ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _closed, 1);
        _queue.Complete(discard: true);
        lock (_policyGate)
        {
            _latest = null;
        }
        foreach (var channel in Channels)
        {
            Hub.Unsubscribe(channel, this);
        }
        Hub.Unregister(this);
        CountClosed();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
