using Switchboard.Channels;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// An immutable description of a broadcast (socket.io's <c>io.to(...).except(...)</c> chain). Each call
/// returns a new operator; emits encode the packet once and hand the bytes to the namespace's adapter.
/// </summary>
public readonly struct BroadcastOperator
{
    private readonly Namespace _namespace;
    private readonly string[] _rooms;
    private readonly string[] _except;
    private readonly BroadcastFlags _flags;
    private readonly TimeSpan? _timeout;
    private readonly CancellationToken _cancellation;

    /// <summary>A broadcast to every socket of <paramref name="nsp"/>.</summary>
    public BroadcastOperator(Namespace nsp)
        : this(nsp, [], [], BroadcastFlags.None, null, default)
    {
    }

    private BroadcastOperator(Namespace nsp, string[] rooms, string[] except, BroadcastFlags flags, TimeSpan? timeout, CancellationToken cancellation)
    {
        _cancellation = cancellation;
        _namespace = nsp;
        _rooms = rooms;
        _except = except;
        _flags = flags;
        _timeout = timeout;
    }

    /// <summary>Also targets the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator To(string room) => new(_namespace, [.. _rooms, room], _except, _flags, _timeout, _cancellation);

    /// <summary>Also targets the sockets in any of <paramref name="rooms"/>.</summary>
    public BroadcastOperator To(IEnumerable<string> rooms) => new(_namespace, [.. _rooms, .. rooms], _except, _flags, _timeout, _cancellation);

    /// <summary>The same as <see cref="To(string)"/>.</summary>
    public BroadcastOperator In(string room) => To(room);

    /// <summary>The same as <see cref="To(IEnumerable{string})"/>.</summary>
    public BroadcastOperator In(IEnumerable<string> rooms) => To(rooms);

    /// <summary>Leaves out the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => new(_namespace, _rooms, [.. _except, room], _flags, _timeout, _cancellation);

    /// <summary>Leaves out the sockets in any of <paramref name="rooms"/>.</summary>
    public BroadcastOperator Except(IEnumerable<string> rooms) => new(_namespace, _rooms, [.. _except, .. rooms], _flags, _timeout, _cancellation);

    /// <summary>Skips recipients that cannot take the packet right now (socket.io's <c>volatile</c>).</summary>
    public BroadcastOperator Volatile => new(_namespace, _rooms, _except, _flags | BroadcastFlags.Volatile, _timeout, _cancellation);

    /// <summary>Only this node's sockets (socket.io's <c>local</c>).</summary>
    public BroadcastOperator Local => new(_namespace, _rooms, _except, _flags | BroadcastFlags.Local, _timeout, _cancellation);

    /// <summary>
    /// socket.io's <c>compress(false)</c>: the packet goes uncompressed even where permessage-deflate would
    /// compress it (messages over its threshold). Emits that are channel publications (to rooms, not
    /// volatile or local) keep the connection's default.
    /// </summary>
    public BroadcastOperator Compress(bool compress = true) =>
        new(_namespace, _rooms, _except,
            compress ? (_flags | BroadcastFlags.Compress) & ~BroadcastFlags.NoCompress : (_flags | BroadcastFlags.NoCompress) & ~BroadcastFlags.Compress,
            _timeout, _cancellation);

    /// <summary>How long <see cref="EmitWithAckAsync"/> waits for every recipient's acknowledgement.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => new(_namespace, _rooms, _except, _flags, timeout, _cancellation);

    /// <summary>
    /// The token every async call of the operator honours (options first, as <see cref="Socket.WithCancellation"/>:
    /// a token after the arguments would be sent as one). Cancelling stops waiting (for acknowledgements, for
    /// the other nodes of a cluster, for the publication to be stored); what was already sent stays sent.
    /// </summary>
    public BroadcastOperator WithCancellation(CancellationToken cancellationToken) => new(_namespace, _rooms, _except, _flags, _timeout, cancellationToken);

    /// <summary>The targets and flags, as the adapter receives them.</summary>
    public BroadcastOptions Options => new(_rooms, _except, _flags);

    /// <summary>
    /// Sends an event to every targeted socket; the packet is encoded once. An emit to rooms is a
    /// publication to those channels (offsets, history, subscribers of every protocol), unless it is
    /// volatile or local, or every room is a socket's own id room (a private message). With connection
    /// state recovery on, emits to everyone and to socket ids are publications too (socket.io stores them
    /// for recovery as well), so a recovering socket gets them back.
    /// </summary>
    public async ValueTask EmitAsync(string eventName, params EmitArgs args)
    {
        ReservedEvents.ThrowIfReserved(eventName);
        _cancellation.ThrowIfCancellationRequested();
        if (PublicationChannels is { } channels)
        {
            await _namespace.Channels.PublishAsync(channels, eventName, args.Values, _except, cancellationToken: _cancellation).ConfigureAwait(false);
            return;
        }
        await _namespace.Adapter.BroadcastAsync(PacketEncoder.Event(_namespace.Name, eventName, args.AsSpan()), Options, _cancellation).ConfigureAwait(false);
    }

    /// <summary>Broadcasts a <c>message</c> event (socket.io's <c>send</c>).</summary>
    public ValueTask SendAsync(params EmitArgs args) => EmitAsync("message", args);

    /// <summary>Publishes to the targeted rooms' channels and returns the offset and epoch the publication got in each.</summary>
    public ValueTask<PublishResult> PublishAsync(string eventName, params EmitArgs args)
    {
        ReservedEvents.ThrowIfReserved(eventName);
        if (_rooms.Length == 0)
        {
            throw new InvalidOperationException("A publication needs at least one channel: use To(room).");
        }
        return _namespace.Channels.PublishAsync(_rooms, eventName, args.Values, _except, cancellationToken: _cancellation);
    }

    private static readonly string[] Everyone = [ChannelHub.EveryoneChannel];

    /// <summary>The channels an emit is published to, or null when it is a plain broadcast (see <see cref="EmitAsync"/>).</summary>
    private IReadOnlyCollection<string>? PublicationChannels
    {
        get
        {
            if ((_flags & (BroadcastFlags.Volatile | BroadcastFlags.Local)) != 0)
            {
                return null;
            }
            if (_namespace.Channels.StoresEverything)
            {
                return _rooms.Length == 0 ? Everyone : _rooms;
            }
            if (_rooms.Length == 0)
            {
                return null;
            }
            foreach (var room in _rooms)
            {
                if (!_namespace.Sockets.ContainsKey(room))
                {
                    return _rooms;
                }
            }
            return null;
        }
    }

    /// <summary>
    /// Sends an event to every targeted socket and collects their acknowledgements. Fails with
    /// <see cref="SocketAckTimeoutException"/> (holding the responses that did arrive) when the timeout
    /// passes first.
    /// </summary>
    public async Task<IReadOnlyList<SocketArguments>> EmitWithAckAsync(string eventName, params EmitArgs args)
    {
        ReservedEvents.ThrowIfReserved(eventName);
        _cancellation.ThrowIfCancellationRequested();
        var timeout = _timeout ?? throw new InvalidOperationException("Set Timeout(...) before EmitWithAckAsync on a broadcast.");
        var id = _namespace.NextBroadcastAckId();
        var packet = PacketEncoder.Event(_namespace.Name, eventName, args.AsSpan(), id);
        var collector = new AckCollector();
        var expected = await _namespace.Adapter.BroadcastWithAckAsync(packet, Options, id, collector.Add, _cancellation).ConfigureAwait(false);
        return await collector.WaitAsync(expected, timeout, _namespace.Server.Time, _cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Broadcasts with an acknowledgement callback (socket.io's <c>io.timeout(t).emit(name, ...args, callback)</c>):
    /// <paramref name="ack"/> runs once, with every response, or with the <see cref="SocketAckTimeoutException"/>
    /// (which holds the responses that did arrive) and null.
    /// </summary>
    public void EmitWithAck(string eventName, Action<Exception?, IReadOnlyList<SocketArguments>?> ack, params EmitArgs args) =>
        Socket.Callback(EmitWithAckAsync(eventName, args), ack);

    /// <summary>The targeted sockets, on every node (socket.io's <c>fetchSockets</c>).</summary>
    /// <param name="cancellationToken">Stops waiting for the other nodes; when not given, the operator's (<see cref="WithCancellation"/>).</param>
    public ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default)
    {
        var token = Token(cancellationToken);
        return token.IsCancellationRequested ? ValueTask.FromCanceled<IReadOnlyList<RemoteSocket>>(token) : _namespace.Adapter.FetchSocketsAsync(Options, token);
    }

    /// <summary>Makes the targeted sockets join <paramref name="rooms"/>, on every node.</summary>
    public ValueTask SocketsJoinAsync(params string[] rooms) =>
        _cancellation.IsCancellationRequested ? ValueTask.FromCanceled(_cancellation) : _namespace.Adapter.AddSocketsAsync(Options, rooms, _cancellation);

    /// <summary>Makes the targeted sockets leave <paramref name="rooms"/>, on every node.</summary>
    public ValueTask SocketsLeaveAsync(params string[] rooms) =>
        _cancellation.IsCancellationRequested ? ValueTask.FromCanceled(_cancellation) : _namespace.Adapter.DelSocketsAsync(Options, rooms, _cancellation);

    /// <summary>Disconnects the targeted sockets, on every node; with <paramref name="close"/>, their whole connection.</summary>
    /// <param name="close">Whether their whole connection closes, not only the namespace.</param>
    /// <param name="cancellationToken">Stops waiting for the other nodes; when not given, the operator's (<see cref="WithCancellation"/>).</param>
    public ValueTask DisconnectSocketsAsync(bool close = false, CancellationToken cancellationToken = default)
    {
        var token = Token(cancellationToken);
        return token.IsCancellationRequested ? ValueTask.FromCanceled(token) : _namespace.Adapter.DisconnectSocketsAsync(Options, close, token);
    }

    /// <summary>A token given to a call replaces the operator's.</summary>
    private CancellationToken Token(CancellationToken given) => given.CanBeCanceled ? given : _cancellation;

    /// <summary>
    /// Gathers the acknowledgements of one broadcast. A recipient that disconnects first never answers,
    /// so the broadcast then ends with a timeout that carries the responses that did arrive.
    /// </summary>
    private sealed class AckCollector
    {
        private readonly List<SocketArguments> _responses = [];
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = -1;

        public void Add(SocketArguments? response)
        {
            if (response is null)
            {
                return;
            }
            lock (_responses)
            {
                _responses.Add(response);
                CheckDone();
            }
        }

        public async Task<IReadOnlyList<SocketArguments>> WaitAsync(int expected, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            lock (_responses)
            {
                _expected = expected;
                CheckDone();
            }
            try
            {
                await _done.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                lock (_responses)
                {
                    throw new SocketAckTimeoutException($"Only {_responses.Count} of {_expected} acknowledgements arrived within {timeout}.", [.. _responses]);
                }
            }
            lock (_responses)
            {
                return [.. _responses];
            }
        }

        private void CheckDone()
        {
            if (_expected >= 0 && _responses.Count >= _expected)
            {
                _done.TrySetResult();
            }
        }
    }
}
