using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;

namespace Switchboard.Channels;

/// <summary>
/// The channels of one namespace. Every publication to a channel, from a Socket.IO room broadcast or
/// from any other protocol, passes through <see cref="PublishAsync"/>: it gets the namespace's next
/// sequence number and the next offset of each channel, is stored in history, and is delivered to the
/// channel's Socket.IO room members and to its other subscribers, in that one order for everybody.
/// </summary>
/// <remarks>
/// Split by job (docs/architecture.md, "Channels"): the ordered log (this file: sequence, offsets,
/// store), delivery (<c>ChannelHub.Delivery.cs</c>), subscriptions, recovery, presence and the
/// connection registry each in their own part; where publications are ordered and how they reach this
/// node is the <see cref="IChannelBackplane"/> (one node or a cluster), and the Socket.IO rooms are one
/// kind of subscriber behind <see cref="IRoomSubscribers"/>.
/// </remarks>
public sealed partial class ChannelHub
{
    private readonly string _name;
    private readonly IRoomSubscribers _rooms;
    private readonly IChannelStore _store;
    private readonly ChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly ChannelLog _log;
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly IChannelBackplane _backplane;
    private readonly Connections.SendScan _sendScan;
    private long _seq;
    private volatile string _epoch;

    internal ChannelHub(string nsp, IRoomSubscribers rooms, IChannelStore store, ChannelOptions options, TimeProvider time, SwitchboardMetrics metrics, ILogger logger,
        Func<ChannelHub, IChannelBackplane>? backplane, Connections.SendScan sendScan)
    {
        _sendScan = sendScan;
        _name = nsp;
        _rooms = rooms;
        _store = store;
        _options = options;
        _time = time;
        Metrics = metrics;
        _log = new ChannelLog(logger);
        _epoch = InMemoryChannelStore.NewEpoch();
        _backplane = backplane?.Invoke(this) ?? new LocalBackplane(this);
        if (StoresEverything)
        {
            // Emits to everyone are publications of the everyone channel: every node takes them.
            _backplane.Acquire(EveryoneChannel);
        }
    }

    /// <summary>
    /// With connection state recovery on, as socket.io's recovery does, emits to everyone and to socket ids
    /// are publications too: stored, with offsets, and replayed to a recovering socket. Emits to everyone go
    /// to this channel, which no client protocol can name (it has a control character).
    /// </summary>
    internal const string EveryoneChannel = "\u0000everyone";

    /// <summary>Whether emits to everyone and to socket ids are stored for recovery.</summary>
    internal bool StoresEverything => _rooms.StoresEverything;

    /// <summary>The namespace's name.</summary>
    internal string Name => _name;

    /// <summary>The namespace's publication order: whoever holds it sees no publication assigned or delivered meanwhile (docs/decisions/0010).</summary>
    internal SemaphoreSlim Order => _order;

    internal ChannelLog Log => _log;

    internal IChannelBackplane Backplane => _backplane;

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
    public TimeProvider Time => _time;

    /// <summary>The last sequence number assigned.</summary>
    public long Seq => Interlocked.Read(ref _seq);

    /// <summary>The cluster's sequence epoch, as a publication or delivery shows it.</summary>
    internal void NoteEpoch(string epoch) => _epoch = epoch;

    /// <summary>A sequence number the cluster delivered: <see cref="Seq"/> never goes below it.</summary>
    internal void NoteSeq(long seq)
    {
        if (seq > Interlocked.Read(ref _seq))
        {
            Interlocked.Exchange(ref _seq, seq);
        }
    }

    /// <summary>
    /// Publishes an event to channels. Socket.IO members of the channels' rooms receive it as an event
    /// (once, even when in several of the channels), minus those in <paramref name="except"/> rooms; other
    /// subscribers receive one entry per channel, minus the connection <paramref name="publisherId"/>.
    /// </summary>
    /// <remarks>A pass-through, so that one node's publication is one state machine, as before the backplane.</remarks>
    public ValueTask<PublishResult> PublishAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string>? except = null, string? publisherId = null, CancellationToken cancellationToken = default) =>
        _backplane.PublishAsync(channels, eventName, args, except ?? [], publisherId, cancellationToken);

    /// <summary>
    /// The ordered log of one node: under the namespace's order, the publication gets the next sequence
    /// number and its offsets, is appended to the store and delivered, all in one step.
    /// </summary>
    internal async ValueTask<PublishResult> AppendAndDeliverAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        var startedAt = Metrics.StartPublish();
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var seq = Interlocked.Increment(ref _seq);
            var publication = new Publication(seq, eventName, args, except, publisherId, _time.GetUtcNow());
            var positions = new Dictionary<string, StreamPosition>(channels.Count, StringComparer.Ordinal);
            foreach (var channel in channels)
            {
                if (!StoresEverything && IsPrivateRoom(channel))
                {
                    // A socket's own id room carries private messages: they reach that socket only,
                    // never history or another protocol's subscriber.
                    continue;
                }
                positions[channel] = await _store.AppendAsync(_name, channel, publication, _options.PolicyFor(channel), cancellationToken).ConfigureAwait(false);
            }

            DeliverLocked(publication, channels, positions);
            return new PublishResult(seq, positions);
        }
        finally
        {
            _order.Release();
            Metrics.Published(startedAt, _name);
        }
    }

    /// <summary>Reads up to <paramref name="limit"/> publications of <paramref name="channel"/> after <paramref name="since"/> (the newest when null).</summary>
    public ValueTask<HistoryRead> HistoryAsync(string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default) =>
        _store.ReadAsync(_name, channel, since, limit, cancellationToken);

    /// <summary>Whether the channel is the private room of a socket connected to this namespace (named by its id).</summary>
    public bool IsPrivateRoom(string channel) => _rooms.Contains(channel);

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
