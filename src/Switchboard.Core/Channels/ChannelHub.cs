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
    // On one node, delivery runs behind the order (DeliveryQueue); null in a cluster, where the bus hands
    // publications back and the node delivers each one under the order, as it gets it.
    private readonly DeliveryQueue? _queue;
    // Nothing under the order awaits (one node, the in-memory store): a publication is assigned at once.
    private readonly bool _assignsAtOnce;
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
        if (_backplane.OrdersHere)
        {
            _queue = new DeliveryQueue(this);
            _assignsAtOnce = store is InMemoryChannelStore;
        }
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

    /// <summary>
    /// The namespace's publication order: whoever holds it sees no publication assigned meanwhile, and in a
    /// cluster none delivered (docs/decisions/0010). On one node delivery runs behind it, in the same order.
    /// </summary>
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
    /// The ordered log of one node: under the namespace's order the publication only gets the next sequence
    /// number and its offsets and is appended to the store and to the delivery queue; it is delivered behind
    /// the order, in the same order, and this returns once it has been handed to every local recipient (so a
    /// publisher's own <c>pub</c> still precedes its reply). With the in-memory store nothing here awaits.
    /// </summary>
    internal ValueTask<PublishResult> AppendAndDeliverAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        if (!_assignsAtOnce || cancellationToken.IsCancellationRequested || !TryEnterOrder())
        {
            return AppendAndDeliverAwaitingAsync(channels, eventName, args, except, publisherId, cancellationToken);
        }
        var startedAt = Metrics.StartPublish();
        (PublishResult Result, long Ticket) appended;
        try
        {
            try
            {
                // The in-memory store completes at once: no await is ever taken under the order here.
                appended = Now(AppendLockedAsync(channels, eventName, args, except, publisherId, cancellationToken));
            }
            finally
            {
                _order.Release();
            }
            if (!_queue!.TryDeliverThrough(appended.Ticket))
            {
                return AwaitDeliveryAsync(appended.Result, appended.Ticket, startedAt);
            }
        }
        catch (Exception ex)
        {
            Metrics.Published(startedAt, _name);
            return ValueTask.FromException<PublishResult>(ex);
        }
        Metrics.Published(startedAt, _name);
        return new ValueTask<PublishResult>(appended.Result);
    }

    /// <summary>The drainer at work took longer than a brief spin: its delivery of this publication is awaited.</summary>
    private async ValueTask<PublishResult> AwaitDeliveryAsync(PublishResult result, long ticket, long startedAt)
    {
        try
        {
            await _queue!.DeliverThroughAsync(ticket).ConfigureAwait(false);
            return result;
        }
        finally
        {
            Metrics.Published(startedAt, _name);
        }
    }

    /// <summary>As <see cref="AppendAndDeliverAsync"/> when the order is taken or the store awaits: the order is awaited, never blocked on.</summary>
    private async ValueTask<PublishResult> AppendAndDeliverAwaitingAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
    {
        var startedAt = Metrics.StartPublish();
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            (PublishResult Result, long Ticket) appended;
            try
            {
                appended = await AppendLockedAsync(channels, eventName, args, except, publisherId, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _order.Release();
            }
            if (!_queue!.TryDeliverThrough(appended.Ticket))
            {
                await _queue.DeliverThroughAsync(appended.Ticket).ConfigureAwait(false);
            }
            return appended.Result;
        }
        finally
        {
            Metrics.Published(startedAt, _name);
        }
    }

    /// <summary>Under the order: the sequence number, the offsets, the store, then the delivery queue.</summary>
    private async ValueTask<(PublishResult, long)> AppendLockedAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken)
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
        var ticket = _queue!.Add(publication, channels, positions);
        return (new PublishResult(seq, positions), ticket);
    }

    /// <summary>
    /// The result of work that completed at once, as everything under the order does with the in-memory
    /// store; should it ever complete later, it is waited for (the order is a semaphore, not tied to a
    /// thread, so that stays correct), never skipped.
    /// </summary>
    private static T Now<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Takes the namespace's order if it is free now or frees up within a brief spin (an assignment holds it
    /// for well under a microsecond). Never blocks: a caller that would wait longer awaits it instead, so it
    /// can never hold up, with a lock of its own, the holder it waits for (user code runs inside deliveries
    /// and replays, and may publish).
    /// </summary>
    private bool TryEnterOrder()
    {
        var spin = new SpinWait();
        while (!_order.Wait(0))
        {
            if (spin.Count >= OrderSpins)
            {
                return false;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
        return true;
    }

    private const int OrderSpins = 12;

    /// <summary>Takes the namespace's order: at once or after a brief spin when nothing under it awaits, awaiting otherwise.</summary>
    private ValueTask EnterOrderAsync(CancellationToken cancellationToken)
    {
        if (_assignsAtOnce && !cancellationToken.IsCancellationRequested && TryEnterOrder())
        {
            return ValueTask.CompletedTask;
        }
        return new ValueTask(_order.WaitAsync(cancellationToken));
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
