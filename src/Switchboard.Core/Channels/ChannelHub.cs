using Switchboard.SocketIO;

namespace Switchboard.Channels;

/// <summary>
/// The channels of one namespace. Every publication to a channel, from a Socket.IO room broadcast or
/// from any other protocol, passes through <see cref="PublishAsync"/>: it gets the namespace's next
/// sequence number and the next offset of each channel, is stored in history, and is delivered to the
/// channel's Socket.IO room members and to its other subscribers, in that one order for everybody.
/// </summary>
public sealed class ChannelHub
{
    private readonly Namespace _namespace;
    private readonly IChannelStore _store;
    private readonly ChannelOptions _options;
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly Dictionary<string, HashSet<IChannelSubscriber>> _subscribers = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IChannelConnection> _connections = new(StringComparer.Ordinal);
    private long _seq;

    internal ChannelHub(Namespace nsp, IChannelStore store, ChannelOptions options)
    {
        _namespace = nsp;
        _store = store;
        _options = options;
        Epoch = InMemoryChannelStore.NewEpoch();
    }

    /// <summary>The epoch of this namespace's sequence numbers (new with every process in memory).</summary>
    public string Epoch { get; }

    public IChannelStore Store => _store;

    /// <summary>The last sequence number assigned.</summary>
    public long Seq => Interlocked.Read(ref _seq);

    /// <summary>
    /// Publishes an event to channels. Socket.IO members of the channels' rooms receive it as an event
    /// (once, even when in several of the channels), minus those in <paramref name="except"/> rooms; other
    /// subscribers receive one entry per channel, minus the connection <paramref name="publisherId"/>.
    /// </summary>
    public async ValueTask<PublishResult> PublishAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string>? except = null, string? publisherId = null, CancellationToken cancellationToken = default)
    {
        except ??= [];
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var seq = Interlocked.Increment(ref _seq);
            var publication = new Publication(seq, eventName, args, except, publisherId, _namespace.Server.Time.GetUtcNow());
            var positions = new Dictionary<string, StreamPosition>(channels.Count, StringComparer.Ordinal);
            foreach (var channel in channels)
            {
                if (IsPrivateRoom(channel))
                {
                    // A socket's own id room carries private messages: they reach that socket only,
                    // never history or another protocol's subscriber.
                    continue;
                }
                positions[channel] = await _store.AppendAsync(_namespace.Name, channel, publication, _options.PolicyFor(channel), cancellationToken).ConfigureAwait(false);
            }

            var socketExcept = publisherId is null ? except : [.. except, publisherId];
            var offset = _namespace.Server.Options.Recovery is null ? null : FormatOffset(seq);
            await _namespace.Adapter.BroadcastAsync(publication.SocketPacket(_namespace.Name, offset), new BroadcastOptions(channels, socketExcept)).ConfigureAwait(false);

            lock (_subscribers)
            {
                foreach (var (channel, position) in positions)
                {
                    if (!_subscribers.TryGetValue(channel, out var subscribers))
                    {
                        continue;
                    }
                    var entry = new ChannelEntry(channel, position.Offset, position.Epoch, publication);
                    foreach (var subscriber in subscribers)
                    {
                        if (subscriber.ConnectionId != publisherId)
                        {
                            subscriber.Deliver(entry);
                        }
                    }
                }
            }
            return new PublishResult(seq, positions);
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>
    /// Subscribes a connection to a channel, atomically with respect to publications. With a position,
    /// the publications after it are replayed first through <see cref="IChannelSubscriber.Deliver"/>, or,
    /// when the position cannot be continued, <see cref="IChannelSubscriber.Discontinuity"/> is called;
    /// live publications follow. Nothing is lost between replay and live, and nothing repeats.
    /// Returns the channel's position at the moment of subscribing.
    /// </summary>
    public async ValueTask<StreamPosition> SubscribeAsync(string channel, IChannelSubscriber subscriber, StreamPosition? since = null, CancellationToken cancellationToken = default)
    {
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            StreamPosition top;
            if (since is { } from)
            {
                var read = await _store.ReadAsync(_namespace.Name, channel, from, int.MaxValue, cancellationToken).ConfigureAwait(false);
                top = read.Top;
                if (read.Continuous)
                {
                    foreach (var entry in read.Entries)
                    {
                        subscriber.Deliver(entry);
                    }
                }
                else
                {
                    subscriber.Discontinuity(channel, top);
                }
            }
            else
            {
                top = await _store.GetPositionAsync(_namespace.Name, channel, cancellationToken).ConfigureAwait(false);
            }
            lock (_subscribers)
            {
                if (!_subscribers.TryGetValue(channel, out var set))
                {
                    _subscribers[channel] = set = [];
                }
                set.Add(subscriber);
            }
            return top;
        }
        finally
        {
            _order.Release();
        }
    }

    public void Unsubscribe(string channel, IChannelSubscriber subscriber)
    {
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set) && set.Remove(subscriber) && set.Count == 0)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>
    /// Socket.IO recovery: atomically with respect to publications, reads what the socket's rooms received
    /// after <paramref name="seq"/>; if every room can be continued, calls <paramref name="connect"/> with the
    /// missed publications (in order, each once, minus those the socket was excluded from) and returns true.
    /// </summary>
    internal async ValueTask<bool> TryRecoverAsync(Socket socket, long seq, Action<IReadOnlyList<Publication>> connect)
    {
        if (socket.RecoverySession is not { } session || seq > Seq)
        {
            return false;
        }
        await _order.WaitAsync().ConfigureAwait(false);
        try
        {
            string[] rooms;
            lock (session)
            {
                rooms = [.. session.Rooms];
            }
            var missed = new SortedDictionary<long, Publication>();
            foreach (var room in rooms)
            {
                if (room == socket.Id)
                {
                    continue;
                }
                var read = await _store.ReadAfterSeqAsync(_namespace.Name, room, seq).ConfigureAwait(false);
                if (!read.Continuous)
                {
                    return false;
                }
                foreach (var entry in read.Entries)
                {
                    var publication = entry.Publication;
                    if (publication.PublisherId != socket.Id && !publication.Except.Any(r => r == socket.Id || rooms.Contains(r)))
                    {
                        missed[publication.Seq] = publication;
                    }
                }
            }
            connect([.. missed.Values]);
            return true;
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>
    /// Subscribes a Socket.IO socket to a channel (joins the room), atomically with respect to
    /// publications: with a position, the publications after it are sent to the socket first, as events
    /// like live ones; when the position cannot be continued, returns false in
    /// <see cref="SocketSubscription.Continuous"/> and sends nothing old. Live events follow either way.
    /// </summary>
    public async ValueTask<SocketSubscription> SubscribeSocketAsync(Socket socket, string channel, StreamPosition? since = null, CancellationToken cancellationToken = default)
    {
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var continuous = true;
            StreamPosition top;
            if (since is { } from)
            {
                var read = await _store.ReadAsync(_namespace.Name, channel, from, int.MaxValue, cancellationToken).ConfigureAwait(false);
                top = read.Top;
                continuous = read.Continuous;
                foreach (var entry in read.Entries)
                {
                    var offset = _namespace.Server.Options.Recovery is null ? null : FormatOffset(entry.Publication.Seq);
                    socket.Send(entry.Publication.SocketPacket(_namespace.Name, offset));
                }
            }
            else
            {
                top = await _store.GetPositionAsync(_namespace.Name, channel, cancellationToken).ConfigureAwait(false);
            }
            socket.Join(channel);
            return new SocketSubscription(top, continuous);
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>Registers a channel-protocol connection so it can be found by id (HTTP API disconnect).</summary>
    public void Register(IChannelConnection connection) => _connections[connection.ConnectionId] = connection;

    public void Unregister(IChannelConnection connection) =>
        _connections.TryRemove(new KeyValuePair<string, IChannelConnection>(connection.ConnectionId, connection));

    /// <summary>
    /// Disconnects a connection by id: a channel-protocol connection, or a Socket.IO socket of this
    /// namespace. Returns false when no such connection is on this node.
    /// </summary>
    public bool Disconnect(string connectionId, string reason = "disconnected by the server")
    {
        if (_connections.TryGetValue(connectionId, out var connection))
        {
            connection.Disconnect(reason);
            return true;
        }
        if (_namespace.Sockets.TryGetValue(connectionId, out var socket))
        {
            socket.Disconnect();
            return true;
        }
        return false;
    }

    /// <summary>Whether the channel is the private room of a socket connected to this namespace (named by its id).</summary>
    public bool IsPrivateRoom(string channel) => _namespace.Sockets.ContainsKey(channel);

    /// <summary>How many connections, of every protocol, are subscribed to the channel on this node.</summary>
    public int PresenceCount(string channel)
    {
        int others;
        lock (_subscribers)
        {
            others = _subscribers.TryGetValue(channel, out var set) ? set.Count : 0;
        }
        return others + _namespace.Adapter.RoomSize(channel);
    }

    public ValueTask<HistoryRead> HistoryAsync(string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(_namespace.Name, channel, since, limit, cancellationToken);

    /// <summary>The Socket.IO recovery offset of a sequence number: <c>epoch-seq</c>.</summary>
    internal string FormatOffset(long seq) => $"{Epoch}-{seq}";

    internal bool TryParseOffset(string? offset, out long seq)
    {
        seq = 0;
        if (offset is null || !offset.StartsWith(Epoch, StringComparison.Ordinal) || offset.Length <= Epoch.Length + 1 || offset[Epoch.Length] != '-')
        {
            return false;
        }
        return long.TryParse(offset.AsSpan(Epoch.Length + 1), System.Globalization.NumberStyles.None, null, out seq);
    }
}
