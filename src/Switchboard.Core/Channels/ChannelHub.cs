using Switchboard.Cluster;
using Switchboard.SocketIO;

namespace Switchboard.Channels;

/// <summary>
/// The channels of one namespace. Every publication to a channel, from a Socket.IO room broadcast or
/// from any other protocol, passes through <see cref="PublishAsync"/>: it gets the namespace's next
/// sequence number and the next offset of each channel, is stored in history, and is delivered to the
/// channel's Socket.IO room members and to its other subscribers, in that one order for everybody.
/// </summary>
public sealed partial class ChannelHub
{
    private readonly Namespace _namespace;
    private readonly IChannelStore _store;
    private readonly ChannelOptions _options;
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly Dictionary<string, Dictionary<IChannelSubscriber, StreamPosition>> _subscribers = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IChannelConnection> _connections = new(StringComparer.Ordinal);
    private readonly IClusterBus? _cluster;
    private readonly ClusterInterest? _interest;
    private readonly SocketFloors _socketFloors = new();
    private readonly Dictionary<string, StreamPosition> _delivered = new(StringComparer.Ordinal);
    // Guarded by _delivered: channels whose delivery position was set by a subscription's read of history
    // (NoteSubscribedAt), ahead of this node's inbox, which has not caught up with it yet.
    private readonly HashSet<string> _readAhead = new(StringComparer.Ordinal);
    // Guarded by _delivered: when the last publication delivered on each channel was made.
    private readonly Dictionary<string, DateTimeOffset> _deliveredAt = new(StringComparer.Ordinal);
    private readonly HighWaterMarks? _highWater;
    // Guarded by _order: the sequence number (and epoch) of the last publication the cluster delivered here.
    private StreamPosition _deliveredSeq = new(0, "");
    private long _seq;
    private volatile string _epoch;

    internal ChannelHub(Namespace nsp, IChannelStore store, ChannelOptions options, IClusterBus? cluster)
    {
        _namespace = nsp;
        _store = store;
        _options = options;
        _cluster = cluster;
        _interest = cluster is null ? null : new ClusterInterest(cluster, nsp.Name);
        _highWater = cluster is null ? null : new HighWaterMarks();
        _epoch = InMemoryChannelStore.NewEpoch();
        if (StoresEverything)
        {
            // Emits to everyone are publications of the everyone channel: every node takes them.
            _interest?.Acquire(EveryoneChannel);
        }
    }

    /// <summary>
    /// With connection state recovery on, as socket.io's recovery does, emits to everyone and to socket ids
    /// are publications too: stored, with offsets, and replayed to a recovering socket. Emits to everyone go
    /// to this channel, which no client protocol can name (it has a control character).
    /// </summary>
    internal const string EveryoneChannel = "\u0000everyone";

    /// <summary>Whether emits to everyone and to socket ids are stored for recovery.</summary>
    internal bool StoresEverything => _namespace.Server.Options.Recovery is not null;

    /// <summary>
    /// The epoch of this namespace's sequence numbers: new with every process in memory; in a cluster,
    /// the cluster's, as last seen by this node.
    /// </summary>
    public string Epoch => _epoch;

    /// <summary>Where the namespace's channel history is kept.</summary>
    public IChannelStore Store => _store;

    /// <summary>The namespace's channel settings.</summary>
    public ChannelOptions Options => _options;

    /// <summary>The server's clock.</summary>
    public TimeProvider Time => _namespace.Server.Time;

    // One scan of every connection's write in progress, a quarter of the shortest send timeout apart,
    // started with the first connection (rather than a timer per write).
    private ITimer? _sendScan;
    private long _scanPeriodTicks = long.MaxValue;
    private readonly Lock _scanGate = new();

    /// <summary>Makes the send scan run at least a quarter of <paramref name="sendTimeout"/> apart.</summary>
    internal void ScanSendsWithin(TimeSpan sendTimeout)
    {
        var period = Math.Max(sendTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10);
        if (period >= Volatile.Read(ref _scanPeriodTicks))
        {
            return;
        }
        lock (_scanGate)
        {
            if (period >= _scanPeriodTicks)
            {
                return;
            }
            _scanPeriodTicks = period;
            _sendScan ??= Time.CreateTimer(static state => ((ChannelHub)state!).ScanSends(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _sendScan.Change(TimeSpan.FromTicks(period), TimeSpan.FromTicks(period));
        }
    }

    private void ScanSends()
    {
        var now = Time.GetTimestamp();
        foreach (var connection in _connections.Values)
        {
            (connection as ChannelConnection)?.CheckSend(now);
        }
    }

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
        var startedAt = Metrics.StartPublish();
        if (_cluster is not null)
        {
            try
            {
                return await PublishToClusterAsync(_cluster, channels, eventName, args, except, publisherId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Metrics.Published(startedAt, _namespace.Name);
            }
        }
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var seq = Interlocked.Increment(ref _seq);
            var publication = new Publication(seq, eventName, args, except, publisherId, _namespace.Server.Time.GetUtcNow());
            var positions = new Dictionary<string, StreamPosition>(channels.Count, StringComparer.Ordinal);
            foreach (var channel in channels)
            {
                if (!StoresEverything && IsPrivateRoom(channel))
                {
                    // A socket's own id room carries private messages: they reach that socket only,
                    // never history or another protocol's subscriber.
                    continue;
                }
                positions[channel] = await _store.AppendAsync(_namespace.Name, channel, publication, _options.PolicyFor(channel), cancellationToken).ConfigureAwait(false);
            }

            DeliverLocked(publication, channels, positions);
            return new PublishResult(seq, positions);
        }
        finally
        {
            _order.Release();
            Metrics.Published(startedAt, _namespace.Name);
        }
    }

    /// <summary>
    /// In a cluster the bus stores the publication and assigns its sequence number; this node delivers it
    /// when the bus hands it back (<see cref="DeliverAsync"/>), in the cluster's order like everyone else's.
    /// </summary>
    private async ValueTask<PublishResult> PublishToClusterAsync(IClusterBus cluster, IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        var publication = new Publication(0, eventName, args, except, publisherId, _namespace.Server.Time.GetUtcNow());
        var stored = new List<(string, HistoryPolicy)>(channels.Count);
        foreach (var channel in channels)
        {
            if (StoresEverything || !IsPrivateRoom(channel))
            {
                stored.Add((channel, _options.PolicyFor(channel)));
            }
        }
        var seen = _highWater!.For([.. stored.Select(s => s.Item1)]);
        var published = await cluster.PublishAsync(new ClusterPublication(_namespace.Name, [.. channels], stored, publication, seen), cancellationToken).ConfigureAwait(false);
        _highWater.NoteSequence(published.SequenceEpoch, published.Seq);
        _highWater.Note(published.Positions);
        _epoch = published.SequenceEpoch;
        return new PublishResult(published.Seq, published.Positions);
    }

    /// <summary>Delivers a publication the cluster handed to this node, in the cluster's order.</summary>
    internal async ValueTask DeliverAsync(ClusterDelivery delivery)
    {
        await _order.WaitAsync().ConfigureAwait(false);
        try
        {
            _epoch = delivery.SequenceEpoch;
            var seq = delivery.Publication.Seq;
            // Sequence numbers only grow within an epoch: one that does not was handed out again by a
            // server that lacked the last ones (a promoted replica).
            var seqRewound = _deliveredSeq.Epoch == delivery.SequenceEpoch && seq <= _deliveredSeq.Offset;
            _deliveredSeq = new StreamPosition(seq, delivery.SequenceEpoch);
            if (seq > Interlocked.Read(ref _seq))
            {
                Interlocked.Exchange(ref _seq, seq);
            }
            _highWater!.NoteSequence(delivery.SequenceEpoch, seq);
            _highWater.Note(delivery.Positions);
            var rewound = await FillGapsAsync(delivery.Positions, delivery.Publication.Time).ConfigureAwait(false);
            DeliverLocked(delivery.Publication, delivery.Rooms, delivery.Positions);
            if (seqRewound || rewound is not null)
            {
                await RestartRewoundAsync(seqRewound ? delivery.SequenceEpoch : null, rewound ?? []).ConfigureAwait(false);
            }
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>
    /// Pub/sub delivers at most once: a message published while this node's subscription was down (a
    /// Redis blip) never comes. Offsets of a channel are consecutive, so the next publication shows the
    /// gap; what is missing is read from history and delivered first, in order. A publication in a new
    /// epoch of the channel (Redis came back empty, or the channel expired) while this node had members
    /// shows the same: whatever of the new epoch came before it was missed (published before this node
    /// had registered again, or before its inbox subscription was restored), and is read from the
    /// epoch's start. Subscribers that joined within the new epoch have their floors, so they are not
    /// sent what they already have. Returns the channels whose offsets went back within their epoch, with
    /// that epoch (null: none).
    /// </summary>
    private async ValueTask<List<(string Channel, string Epoch)>?> FillGapsAsync(IReadOnlyDictionary<string, StreamPosition> positions, DateTimeOffset publishedAt)
    {
        List<(string, string)>? rewound = null;
        foreach (var (channel, position) in positions)
        {
            if (_interest?.Contains(channel) != true)
            {
                // A channel of the same publication that nobody here listens to.
                continue;
            }
            StreamPosition last;
            DateTimeOffset lastAt;
            lock (_delivered)
            {
                var known = _delivered.TryGetValue(channel, out last);
                if (known && _readAhead.Contains(channel))
                {
                    if (last.Epoch == position.Epoch && position.Offset <= last.Offset)
                    {
                        // A subscription read the history up to `last` while this publication waited in the
                        // inbox: the inbox is catching up, offsets did not go back. Subscribers' floors keep
                        // it from those that had it in their replay.
                        continue;
                    }
                    _readAhead.Remove(channel);
                }
                lastAt = _deliveredAt.GetValueOrDefault(channel, publishedAt);
                _delivered[channel] = position;
                _deliveredAt[channel] = publishedAt;
                if (!known)
                {
                    continue;
                }
            }
            var wentBack = last.Epoch == position.Epoch && position.Offset <= last.Offset;
            var lostEpoch = last.Epoch != position.Epoch && !ExpiredNaturally(channel, lastAt);
            if (wentBack)
            {
                (rewound ??= []).Add((channel, last.Epoch));
            }
            if (wentBack || lostEpoch)
            {
                // The channel's history changed under its live streams: Redis came back empty or a
                // failover lost its last writes (a new epoch), or offsets went back (a promoted replica
                // that lacked them). What this node delivered may be gone: its subscribers are told now,
                // not only when they resume (docs/decisions/0007).
                SignalDiscontinuity(channel, last.Epoch != position.Epoch ? new StreamPosition(0, position.Epoch) : new StreamPosition(position.Offset - 1, position.Epoch));
            }
            // In a new epoch, nothing of it was delivered here yet: from its start.
            var from = last.Epoch == position.Epoch ? last : new StreamPosition(0, position.Epoch);
            if (position.Offset <= from.Offset + 1)
            {
                continue;
            }
            var missing = (int)Math.Min(int.MaxValue, position.Offset - from.Offset - 1);
            try
            {
                var read = await _store.ReadAsync(_namespace.Name, channel, from, missing).ConfigureAwait(false);
                if (!read.Continuous)
                {
                    continue;
                }
                _namespace.Server.Log.GapFilled(_namespace.Name, channel, read.Entries.Count);
                foreach (var entry in read.Entries)
                {
                    DeliverLocked(entry.Publication, [channel], new Dictionary<string, StreamPosition>(1, StringComparer.Ordinal) { [channel] = entry.Position });
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _namespace.Server.Log.GapNotFilled(_namespace.Name, channel, ex.Message);
            }
        }
        return rewound;
    }

    /// <summary>
    /// Positions went back under this node (the publisher did not know how far they had gone): the epochs
    /// they went back in are replaced, so no cursor from before continues into publications that reuse
    /// its offsets. Every node that notices asks; the backend does it once.
    /// </summary>
    private async ValueTask RestartRewoundAsync(string? sequenceEpoch, List<(string Channel, string Epoch)> channels)
    {
        _namespace.Server.Log.PositionsRewound(_namespace.Name, sequenceEpoch ?? "-", string.Join(",", channels.Select(c => c.Channel)));
        try
        {
            await _cluster!.RestartRewoundAsync(_namespace.Name, sequenceEpoch, channels).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _namespace.Server.Log.RewoundNotRestarted(_namespace.Name, ex.Message);
        }
    }

    /// <summary>
    /// Whether a channel whose last publication here was made at <paramref name="lastAt"/> may have been
    /// forgotten by the store by now (its history empty by age, then idle): a new epoch is then no loss.
    /// </summary>
    private bool ExpiredNaturally(string channel, DateTimeOffset lastAt) =>
        _store.IdleChannelExpiry is { } idle && Time.GetUtcNow() >= lastAt + _options.PolicyFor(channel).Ttl + idle;

    /// <summary>Tells every subscriber of a channel on this node that its stream cannot be continued from where it was; live delivery goes on from <paramref name="from"/>.</summary>
    private void SignalDiscontinuity(string channel, StreamPosition from)
    {
        KeyValuePair<IChannelSubscriber, StreamPosition>[] subscribers = [];
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set) && set.Count > 0)
            {
                subscribers = [.. set];
                foreach (var (subscriber, _) in subscribers)
                {
                    set[subscriber] = from;
                }
            }
        }
        _namespace.Server.Log.EpochChanged(_namespace.Name, channel, subscribers.Length);
        foreach (var (subscriber, _) in subscribers)
        {
            subscriber.Discontinuity(channel, from);
        }
        LiveDiscontinuity?.Invoke(channel, from);
    }

    /// <summary>
    /// Raised when a channel's history changed under its live streams on this node (a new epoch, or offsets
    /// that went back), after its subscribers of the channel protocols were told: the channel, and where live
    /// delivery goes on from. Socket.IO room members have no such signal in their protocol; the channel events
    /// (<c>UseChannelEvents</c>) tell them with a <c>discontinuity</c> event.
    /// </summary>
    public event Action<string, StreamPosition>? LiveDiscontinuity;

    /// <summary>
    /// In a cluster, where a subscription started is where this node's delivery of the channel stands
    /// when it has delivered nothing of it yet: a publication missed right after is then a gap like any.
    /// </summary>
    private void NoteSubscribedAt(string channel, StreamPosition top)
    {
        if (_cluster is null)
        {
            return;
        }
        lock (_delivered)
        {
            if (_delivered.TryAdd(channel, top))
            {
                _readAhead.Add(channel);
                _deliveredAt[channel] = Time.GetUtcNow();
            }
        }
    }

    /// <summary>Hands a stored publication to this node's room members and subscribers; the caller holds the order lock.</summary>
    private void DeliverLocked(Publication publication, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, StreamPosition> positions)
    {
        var publisherId = publication.PublisherId;
        IReadOnlyCollection<string> socketExcept = publisherId is null ? publication.Except : [.. publication.Except, publisherId];
        if (_socketFloors.Excluded(positions) is { } replayed)
        {
            // Sockets that just got this publication in a replay (SubscribeSocketAsync) are not sent it again.
            socketExcept = [.. socketExcept, .. replayed];
        }
        var offset = _namespace.Server.Options.Recovery is null ? null : FormatOffset(publication.Seq);
        // The everyone channel's members are all the namespace's sockets: no room to target.
        IReadOnlyCollection<string> targets = rooms.Count == 1 && rooms.Contains(EveryoneChannel) ? [] : rooms;
        var delivered = _namespace.Adapter.DeliverLocal(publication.SocketPacket(_namespace.Name, offset), new BroadcastOptions(targets, socketExcept));

        lock (_subscribers)
        {
            foreach (var (channel, position) in positions)
            {
                if (!_subscribers.TryGetValue(channel, out var subscribers))
                {
                    continue;
                }
                var entry = new ChannelEntry(channel, position.Offset, position.Epoch, publication);
                foreach (var (subscriber, floor) in subscribers)
                {
                    // The floor is where the subscriber's replay ended: in a cluster, a publication may
                    // reach this node after a replay that already had it.
                    if ((publisherId is null || subscriber.ConnectionId != publisherId) && (floor.Epoch != position.Epoch || position.Offset > floor.Offset))
                    {
                        subscriber.Deliver(entry);
                        delivered++;
                    }
                }
            }
        }
        Metrics.Delivered(delivered, _namespace.Name);
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
            var interested = false;
            lock (_subscribers)
            {
                interested = _subscribers.TryGetValue(channel, out var existing) && existing.ContainsKey(subscriber);
            }
            if (_interest is not null && !interested)
            {
                // Live publications must reach this node before the position is read.
                await _interest.AcquireAsync(channel).ConfigureAwait(false);
            }
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
                set[subscriber] = top;
            }
            NoteSubscribedAt(channel, top);
            return top;
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>Stops delivering <paramref name="channel"/> to <paramref name="subscriber"/>.</summary>
    public void Unsubscribe(string channel, IChannelSubscriber subscriber)
    {
        var removed = false;
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set) && set.Remove(subscriber))
            {
                removed = true;
                if (set.Count == 0)
                {
                    _subscribers.Remove(channel);
                }
            }
        }
        if (removed)
        {
            ReleaseInterest(channel);
        }
    }

    /// <summary>A Socket.IO room got its first local member: in a cluster, its publications must reach this node.</summary>
    internal void RoomCreated(string room) => _interest?.Acquire(room);

    internal void RoomDeleted(string room) => ReleaseInterest(room);

    /// <summary>Completes once publications to the room reach this node (at once on a single node).</summary>
    internal Task RoomReadyAsync(string room) => _interest?.ReadyAsync(room) ?? Task.CompletedTask;

    private void ReleaseInterest(string channel)
    {
        if (_interest?.Release(channel) == true)
        {
            lock (_delivered)
            {
                _delivered.Remove(channel);
                _deliveredAt.Remove(channel);
                _readAhead.Remove(channel);
            }
        }
    }

    /// <summary>
    /// Socket.IO recovery: atomically with respect to publications, reads what the socket's rooms received
    /// after <paramref name="seq"/>; if every room can be continued, calls <paramref name="connect"/> with the
    /// missed publications (in order, each once, minus those the socket was excluded from) and returns true.
    /// </summary>
    internal async ValueTask<bool> TryRecoverAsync(Socket socket, string epoch, long seq, Action<IReadOnlyList<Publication>> connect)
    {
        if (socket.RecoverySession is not { } session)
        {
            return false;
        }
        if (_cluster is null ? epoch != Epoch || seq > Seq : epoch != await _cluster.GetSequenceEpochAsync(_namespace.Name).ConfigureAwait(false))
        {
            return false;
        }
        await _order.WaitAsync().ConfigureAwait(false);
        string[] rooms;
        lock (session)
        {
            // Its own id room and the everyone channel carried what was sent to it alone and to everyone.
            rooms = [.. session.Rooms.Append(socket.Id).Append(EveryoneChannel).Distinct(StringComparer.Ordinal)];
        }
        var held = new List<string>();
        try
        {
            if (_interest is not null)
            {
                // In a cluster the rooms' publications must reach this node before their history is read,
                // or one published in between would be in neither.
                foreach (var room in rooms)
                {
                    held.Add(room);
                    await _interest.AcquireAsync(room).ConfigureAwait(false);
                }
            }
            var missed = new SortedDictionary<long, Publication>();
            var tops = new List<(string Room, StreamPosition Top)>(rooms.Length);
            foreach (var room in rooms)
            {
                var read = await _store.ReadAfterSeqAsync(_namespace.Name, room, seq).ConfigureAwait(false);
                if (!read.Continuous)
                {
                    return false;
                }
                tops.Add((room, read.Top));
                foreach (var entry in read.Entries)
                {
                    var publication = entry.Publication;
                    if (publication.PublisherId != socket.Id && !publication.Except.Any(r => r == socket.Id || rooms.Contains(r)))
                    {
                        missed[publication.Seq] = publication;
                    }
                }
            }
            if (_cluster is not null)
            {
                // What reaches this node after the read but was in it is not sent twice.
                var now = _namespace.Server.Time.GetUtcNow();
                foreach (var (room, top) in tops)
                {
                    _socketFloors.Add(room, socket.Id, top, now);
                }
            }
            connect([.. missed.Values]);
            return true;
        }
        finally
        {
            foreach (var room in held)
            {
                ReleaseInterest(room);
            }
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
            var held = false;
            if (_interest is not null && !socket.Rooms.Contains(channel))
            {
                // Held until the socket is in the room: live publications reach this node from now on.
                await _interest.AcquireAsync(channel).ConfigureAwait(false);
                held = true;
            }
            try
            {
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
                if (_cluster is not null)
                {
                    _socketFloors.Add(channel, socket.Id, top, _namespace.Server.Time.GetUtcNow());
                    NoteSubscribedAt(channel, top);
                }
                socket.Join(channel);
            }
            finally
            {
                if (held)
                {
                    ReleaseInterest(channel);
                }
            }
            return new SocketSubscription(top, continuous);
        }
        finally
        {
            _order.Release();
        }
    }

    /// <summary>Registers a channel-protocol connection so it can be found by id (HTTP API disconnect).</summary>
    public void Register(IChannelConnection connection)
    {
        _connections[connection.ConnectionId] = connection;
        if (connection is ChannelConnection channelConnection)
        {
            ScanSendsWithin(channelConnection.SendTimeout);
        }
    }

    /// <summary>The channel-protocol connections open on this node now (SSE streams, held long-polls, plain WebSockets).</summary>
    public IEnumerable<IChannelConnection> Connections => _connections.Values;

    /// <summary>Forgets a connection that has ended.</summary>
    public void Unregister(IChannelConnection connection) => UnregisterCounted(connection);

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

    /// <summary>Disconnects a connection by id on whichever node of the cluster has it; false when none does.</summary>
    public async ValueTask<bool> DisconnectAsync(string connectionId, string reason = "disconnected by the server", CancellationToken cancellationToken = default)
    {
        if (Disconnect(connectionId, reason))
        {
            return true;
        }
        if (_namespace.Server.ClusterOperations is not { } operations)
        {
            return false;
        }
        var body = ClusterWire.Write(w =>
        {
            w.WriteString("connection"u8, connectionId);
            w.WriteString("reason"u8, reason);
        });
        var replies = await operations.AskAsync(_namespace, "disconnect-connection", [], body, cancellationToken: cancellationToken).ConfigureAwait(false);
        return replies.Any(r => r.Body.Span.SequenceEqual("1"u8));
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

    /// <summary>
    /// The connections subscribed to the channel, of every protocol, with their users: on every node of the
    /// cluster (the nodes with members are asked), or on this node alone without a cluster.
    /// </summary>
    public async ValueTask<ChannelPresence> PresenceAsync(string channel, CancellationToken cancellationToken = default)
    {
        var members = new List<PresenceMember>(LocalPresence(channel));
        if (_namespace.Server.ClusterOperations is { } operations)
        {
            var body = ClusterWire.Write(w => w.WriteString("channel"u8, channel));
            foreach (var reply in await operations.AskAsync(_namespace, "presence", [channel], body, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                members.AddRange(ClusterOperations.ReadPresence(reply.Body));
            }
        }
        var users = members.Select(m => m.UserId).Where(u => u is not null).Distinct(StringComparer.Ordinal).Count();
        return new ChannelPresence(channel, members.Count, users, members);
    }

    /// <summary>This node's subscribers of the channel: channel-protocol connections and the Socket.IO room's sockets.</summary>
    internal List<PresenceMember> LocalPresence(string channel)
    {
        var node = _cluster?.NodeId;
        var members = new List<PresenceMember>();
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set))
            {
                foreach (var subscriber in set.Keys)
                {
                    members.Add(new PresenceMember(subscriber.ConnectionId, subscriber.UserId, (subscriber as IChannelConnection)?.Protocol ?? "subscriber", node));
                }
            }
        }
        foreach (var socket in _namespace.Adapter.SocketsIn(channel))
        {
            members.Add(new PresenceMember(socket.Id, socket.Data.TryGetValue("userId", out var user) ? user?.ToString() : null, "socket.io", node));
        }
        return members;
    }

    /// <summary>Reads up to <paramref name="limit"/> publications of <paramref name="channel"/> after <paramref name="since"/> (the newest when null).</summary>
    public ValueTask<HistoryRead> HistoryAsync(string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(_namespace.Name, channel, since, limit, cancellationToken);

    /// <summary>The Socket.IO recovery offset of a sequence number: <c>epoch-seq</c>.</summary>
    internal string FormatOffset(long seq) => $"{Epoch}-{seq}";

    /// <summary>Splits a Socket.IO recovery offset into its epoch and sequence number (whether they are current is for <see cref="TryRecoverAsync"/>).</summary>
    internal static bool TryParseOffset(string? offset, out string epoch, out long seq)
    {
        epoch = "";
        seq = 0;
        var dash = offset?.LastIndexOf('-') ?? -1;
        if (dash <= 0)
        {
            return false;
        }
        epoch = offset![..dash];
        return long.TryParse(offset.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out seq);
    }
}
