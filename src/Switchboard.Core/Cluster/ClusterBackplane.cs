using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// A hub's publications in a cluster: the bus stores each one and assigns its sequence number, and this
/// node delivers it when the bus hands it back (<see cref="DeliverAsync"/>), in the cluster's order like
/// everyone else's (docs/decisions/0009). It tells the bus which channels have members here, fills the
/// gaps that at-most-once pub/sub leaves, and keeps what a replay already sent from being sent twice.
/// </summary>
internal sealed partial class ClusterBackplane : IChannelBackplane
{
    private readonly ChannelHub _hub;
    private readonly IClusterBus _cluster;
    private readonly ClusterInterest _interest;
    private readonly HighWaterMarks _highWater = new();
    private readonly SocketFloors _socketFloors = new();
    private readonly Dictionary<string, StreamPosition> _delivered = new(StringComparer.Ordinal);
    // Guarded by _delivered: channels whose delivery position was set by a subscription's read of history
    // (NoteSubscribedAt), ahead of this node's inbox, which has not caught up with it yet.
    private readonly HashSet<string> _readAhead = new(StringComparer.Ordinal);
    // Guarded by _delivered: when the last publication delivered on each channel was made.
    private readonly Dictionary<string, DateTimeOffset> _deliveredAt = new(StringComparer.Ordinal);
    // Guarded by the hub's order: the sequence number (and epoch) of the last publication the cluster delivered here.
    private StreamPosition _deliveredSeq = new(0, "");

    public ClusterBackplane(ChannelHub hub, IClusterBus cluster)
    {
        _hub = hub;
        _cluster = cluster;
        _interest = new ClusterInterest(cluster, hub.Name);
    }

    public string? NodeId => _cluster.NodeId;

    public bool OrdersHere => false;

    public async ValueTask<PublishResult> PublishAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        var startedAt = _hub.Metrics.StartPublish();
        try
        {
            return await PublishThroughBusAsync(channels, eventName, args, except, publisherId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _hub.Metrics.Published(startedAt, _hub.Name);
        }
    }

    private async ValueTask<PublishResult> PublishThroughBusAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        var publication = new Publication(0, eventName, args, except, publisherId, _hub.Time.GetUtcNow());
        var stored = new List<(string, HistoryPolicy)>(channels.Count);
        foreach (var channel in channels)
        {
            if (_hub.StoresEverything || !_hub.IsPrivateRoom(channel))
            {
                stored.Add((channel, _hub.Options.PolicyFor(channel)));
            }
        }
        var seen = _highWater.For([.. stored.Select(s => s.Item1)]);
        var published = await _cluster.PublishAsync(new ClusterPublication(_hub.Name, [.. channels], stored, publication, seen), cancellationToken).ConfigureAwait(false);
        _highWater.NoteSequence(published.SequenceEpoch, published.Seq);
        _highWater.Note(published.Positions);
        _hub.NoteEpoch(published.SequenceEpoch);
        return new PublishResult(published.Seq, published.Positions);
    }

    public async ValueTask<bool> IsCurrentAsync(string epoch, long seq) =>
        epoch == await _cluster.GetSequenceEpochAsync(_hub.Name).ConfigureAwait(false);

    public void Acquire(string channel) => _interest.Acquire(channel);

    public ValueTask AcquireAsync(string channel) => _interest.AcquireAsync(channel);

    public Task ReadyAsync(string channel) => _interest.ReadyAsync(channel);

    public void Release(string channel)
    {
        if (_interest.Release(channel))
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
    /// Where a subscription started is where this node's delivery of the channel stands when it has
    /// delivered nothing of it yet: a publication missed right after is then a gap like any.
    /// </summary>
    public void NoteSubscribedAt(string channel, StreamPosition top)
    {
        lock (_delivered)
        {
            if (_delivered.TryAdd(channel, top))
            {
                _readAhead.Add(channel);
                _deliveredAt[channel] = _hub.Time.GetUtcNow();
            }
        }
    }

    public void NoteReplayed(string channel, string memberId, StreamPosition top) =>
        _socketFloors.Add(channel, memberId, top, _hub.Time.GetUtcNow());

    public List<string>? ReplayedTo(IReadOnlyDictionary<string, StreamPosition> positions) => _socketFloors.Excluded(positions);

    /// <summary>Delivers a publication the cluster handed to this node, in the cluster's order.</summary>
    internal async ValueTask DeliverAsync(ClusterDelivery delivery)
    {
        await _hub.Order.WaitAsync().ConfigureAwait(false);
        try
        {
            _hub.NoteEpoch(delivery.SequenceEpoch);
            var seq = delivery.Publication.Seq;
            // Sequence numbers only grow within an epoch: one that does not was handed out again by a
            // server that lacked the last ones (a promoted replica).
            var seqRewound = _deliveredSeq.Epoch == delivery.SequenceEpoch && seq <= _deliveredSeq.Offset;
            _deliveredSeq = new StreamPosition(seq, delivery.SequenceEpoch);
            _hub.NoteSeq(seq);
            _highWater.NoteSequence(delivery.SequenceEpoch, seq);
            _highWater.Note(delivery.Positions);
            var rewound = await FillGapsAsync(delivery.Positions, delivery.Publication.Time).ConfigureAwait(false);
            _hub.DeliverInOrder(delivery.Publication, delivery.Rooms, delivery.Positions);
            if (seqRewound || rewound is not null)
            {
                await RestartRewoundAsync(seqRewound ? delivery.SequenceEpoch : null, rewound ?? []).ConfigureAwait(false);
            }
        }
        finally
        {
            _hub.Order.Release();
        }
    }
}
