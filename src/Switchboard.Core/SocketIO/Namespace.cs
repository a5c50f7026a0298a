using System.Collections.Concurrent;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// A Socket.IO namespace: its sockets, connection middleware and handlers, shared event handlers, and
/// the adapter its broadcasts go through.
/// </summary>
public sealed class Namespace
{
    private readonly ConcurrentDictionary<string, Socket> _sockets = new(StringComparer.Ordinal);
    private readonly List<Func<Socket, Func<ValueTask>, ValueTask>> _middleware = [];
    private readonly List<(Delegate Original, Func<Socket, ValueTask> Run)> _connectionHandlers = [];
    private readonly HandlerTable _sharedHandlers = new();
    private readonly ConcurrentDictionary<string, Func<SocketArguments, ValueTask<object?>>> _serverSideHandlers = new(StringComparer.Ordinal);
    private long _nextBroadcastAckId;

    internal Namespace(SocketServer server, string name, ParentNamespace? parent = null)
    {
        Server = server;
        Name = name;
        Parent = parent;
        Adapter = server.AdapterFactory(this);
        Channels = new ChannelHub(name, new NamespaceRooms(this), server.ChannelStore, server.Options.Channels, server.Time, server.Metrics, server.Log.Logger,
            server.Cluster is { } cluster ? hub => new ClusterBackplane(hub, cluster) : null, server.Engine.SendScan);
        if (server.RecoveryLane is { } lane)
        {
            Recovery = new RecoverySessionStore(lane, name, server.Cluster?.Sessions, server.Options.Recovery!.MaxDisconnectionDuration);
        }
    }

    /// <summary>The channels of this namespace: a room is a channel, with offsets and history.</summary>
    public ChannelHub Channels { get; }

    internal RecoverySessionStore? Recovery { get; }

    /// <summary>The namespace's name, e.g. <c>/</c> or <c>/admin</c>.</summary>
    public string Name { get; }

    /// <summary>The server the namespace belongs to.</summary>
    public SocketServer Server { get; }

    /// <summary>The adapter that broadcasts for this namespace (and reaches the cluster).</summary>
    public SocketAdapter Adapter { get; }

    /// <summary>The dynamic namespace this one was created from, if any.</summary>
    public ParentNamespace? Parent { get; }

    /// <summary>The sockets connected to this namespace on this node.</summary>
    public IReadOnlyDictionary<string, Socket> Sockets => _sockets;

    /// <summary>
    /// Adds connection middleware. It runs before the socket is connected, in order; throwing refuses the
    /// socket with CONNECT_ERROR (Node's <c>next(err)</c>): a <see cref="SocketConnectException"/> gives the
    /// client its message and data, any other exception its message (or "Internal server error" when
    /// <see cref="SocketServerOptions.ExposeMiddlewareErrors"/> is off). Not calling <c>next</c> also refuses it.
    /// </summary>
    public Namespace Use(Func<Socket, Func<ValueTask>, ValueTask> middleware)
    {
        lock (_middleware)
        {
            _middleware.Add(middleware);
        }
        return this;
    }

    /// <summary>Runs for every socket that connects, after the CONNECT reply is queued.</summary>
    public Namespace OnConnection(Func<Socket, ValueTask> handler) => AddConnectionHandler(handler, handler);

    /// <inheritdoc cref="OnConnection(Func{Socket, ValueTask})"/>
    public Namespace OnConnection(Action<Socket> handler) =>
        AddConnectionHandler(handler, socket => { handler(socket); return ValueTask.CompletedTask; });

    private Namespace AddConnectionHandler(Delegate original, Func<Socket, ValueTask> run)
    {
        lock (_connectionHandlers)
        {
            _connectionHandlers.Add((original, run));
        }
        return this;
    }

    /// <summary>Removes a connection handler (as it was given), or all of them when <paramref name="handler"/> is null: socket.io's <c>nsp.off("connection")</c>.</summary>
    public Namespace OffConnection(Delegate? handler = null)
    {
        lock (_connectionHandlers)
        {
            if (handler is null)
            {
                _connectionHandlers.Clear();
            }
            else
            {
                var index = _connectionHandlers.FindLastIndex(h => h.Original.Equals(handler));
                if (index >= 0)
                {
                    _connectionHandlers.RemoveAt(index);
                }
            }
        }
        return this;
    }

    /// <summary>Removes a middleware (as it was given to <see cref="Use"/>).</summary>
    public Namespace RemoveMiddleware(Func<Socket, Func<ValueTask>, ValueTask> middleware)
    {
        lock (_middleware)
        {
            _middleware.Remove(middleware);
        }
        return this;
    }

    /// <summary>
    /// Listens for an event from any socket of the namespace, without a per-socket registration (no
    /// memory per connection). Runs after the socket's own listeners.
    /// </summary>
    public Namespace On(string eventName, Func<SocketEvent, ValueTask> handler)
    {
        _sharedHandlers.Add(eventName, handler, handler);
        return this;
    }

    /// <inheritdoc cref="On(string, Func{SocketEvent, ValueTask})"/>
    public Namespace On(string eventName, Action<SocketEvent> handler)
    {
        _sharedHandlers.Add(eventName, handler, e => { handler(e); return ValueTask.CompletedTask; });
        return this;
    }

    /// <summary>Removes one shared handler of an event (as it was given to <see cref="On(string, Func{SocketEvent, ValueTask})"/>), or all of them when <paramref name="handler"/> is null.</summary>
    public Namespace Off(string eventName, Delegate? handler = null)
    {
        _sharedHandlers.Remove(eventName, handler);
        return this;
    }

    internal void DispatchShared(SocketEvent e)
    {
        var handlers = _sharedHandlers.Get(e.Name) ?? Parent?.SharedHandlers(e.Name);
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers)
        {
            e.Socket.Run(handler.Run, e);
        }
    }

    /// <summary>
    /// Handles an event another node of the cluster sent with <see cref="ServerSideEmitAsync"/> (socket.io's
    /// <c>serverSideEmit</c>); what the handler returns is that node's acknowledgement.
    /// </summary>
    public Namespace OnServerSideEmit(string eventName, Func<SocketArguments, ValueTask<object?>> handler)
    {
        _serverSideHandlers[eventName] = handler;
        return this;
    }

    /// <summary>Sends an event to this namespace on every other node of the cluster; a single node has nobody to send it to.</summary>
    public async ValueTask ServerSideEmitAsync(string eventName, params EmitArgs args) =>
        await ServerSideEmitWithAckAsync(eventName, args).ConfigureAwait(false);

    /// <summary>
    /// Sends an event to this namespace on every other node and returns each node's acknowledgement (the
    /// value its handler returned, as a one-argument list; <c>null</c> where it has no handler). Fails with
    /// a <see cref="TimeoutException"/> when a live node does not answer within <see cref="SocketServerOptions.ClusterRequestTimeout"/>.
    /// </summary>
    public async Task<IReadOnlyList<SocketArguments>> ServerSideEmitWithAckAsync(string eventName, params EmitArgs args)
    {
        if (Server.ClusterOperations is not { } operations)
        {
            return [];
        }
        var arguments = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(args.Values, Protocols.SocketIO.SocketJson.Options);
        var body = Cluster.ClusterWire.Write(w => w.WriteString("event"u8, eventName));
        var replies = await operations.AskAsync(this, "server-emit", [], [.. body, .. arguments]).ConfigureAwait(false);
        var acks = new List<SocketArguments>(replies.Count);
        foreach (var reply in replies)
        {
            var json = new byte[reply.Body.Length + 2];
            json[0] = (byte)'[';
            reply.Body.Span.CopyTo(json.AsSpan(1));
            json[^1] = (byte)']';
            if (ClusterOperations.ReadArguments(json) is { } ack)
            {
                acks.Add(ack);
            }
        }
        return acks;
    }

    /// <summary>Runs this node's handler for a server-side emit; returns its acknowledgement as JSON, or null without a handler.</summary>
    internal async ValueTask<byte[]?> OnServerSideEmitAsync(string eventName, ReadOnlyMemory<byte> arguments)
    {
        if (!_serverSideHandlers.TryGetValue(eventName, out var handler) || ClusterOperations.ReadArguments(arguments) is not { } args)
        {
            return null;
        }
        var result = await handler(args).ConfigureAwait(false);
        return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(result, Protocols.SocketIO.SocketJson.Options);
    }

    internal long NextBroadcastAckId() => Interlocked.Increment(ref _nextBroadcastAckId) + (1L << 40);

    /// <summary>
    /// Runs middleware, then connects the socket and runs connection handlers. A socket that asks for
    /// recovery gets its rooms back and the publications it missed, or, when that is impossible, is
    /// connected as a new socket (the client then sees <c>recovered === false</c>).
    /// </summary>
    internal async Task ConnectAsync(Socket socket, string recoverFromEpoch, long recoverFromSeq)
    {
        if (!socket.Recovered || Server.Options.Recovery is not { SkipMiddlewares: true })
        {
            await RunMiddlewareAsync(socket).ConfigureAwait(false);
        }
        if (socket.Client.Session.IsClosed)
        {
            return;
        }
        var recovered = socket.Recovered && socket.RecoverySession is { } session && await Channels.TryRecoverAsync(session, socket.Id, recoverFromEpoch, recoverFromSeq, missed =>
        {
            Register(socket);
            // As socket.io: the missed packets go before the CONNECT reply, so the client emits them
            // before its "connect" event. Live publications wait for this callback to return.
            foreach (var publication in missed)
            {
                socket.SendBeforeConnect(publication.SocketPacket(Name, Channels.FormatOffset(publication.Seq)));
            }
            socket.MarkConnected();
        }).ConfigureAwait(false);
        if (!recovered)
        {
            if (socket.Recovered)
            {
                Server.Log.RecoveryFailed(socket.Id, Name);
                socket.AbandonRecovery();
            }
            Register(socket);
            socket.MarkConnected();
        }
        Server.Log.SocketConnected(socket.Id, Name);

        Func<Socket, ValueTask>[] handlers;
        lock (_connectionHandlers)
        {
            handlers = Parent is null ? [.. _connectionHandlers.Select(h => h.Run)] : [.. Parent.ConnectionHandlers, .. _connectionHandlers.Select(h => h.Run)];
        }
        // Like Node's "connection" listeners: each runs up to its first await; the socket's events are
        // held back until then, so the listeners it registers see the client's first events.
        foreach (var handler in handlers)
        {
            socket.Run(e => handler(e.Socket), new SocketEvent(socket, "connection", SocketArguments.Empty, Protocols.SocketIO.SocketPacket.NoAck));
        }
        socket.MarkReady();
    }

    private async Task RunMiddlewareAsync(Socket socket)
    {
        Func<Socket, Func<ValueTask>, ValueTask>[] middleware;
        lock (_middleware)
        {
            middleware = Parent is null ? [.. _middleware] : [.. Parent.Middleware, .. _middleware];
        }
        var index = 0;
        var passed = false;
        ValueTask Next()
        {
            if (index < middleware.Length)
            {
                return middleware[index++](socket, Next);
            }
            passed = true;
            return ValueTask.CompletedTask;
        }
        try
        {
            await Next().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not SocketConnectException)
        {
            // Node's next(err): the client's connect_error carries err.message (unless hidden by options).
            Server.Log.HandlerFailed(socket.Id, "middleware", ex);
            throw new SocketConnectException(Server.Options.ExposeMiddlewareErrors ? ex.Message : "Internal server error", innerException: ex);
        }
        if (!passed)
        {
            throw new SocketConnectException("Connection refused by middleware");
        }
    }

    /// <summary>Makes the socket a member of the namespace: its id room, and the rooms of a recovered session.</summary>
    private void Register(Socket socket)
    {
        _sockets[socket.Id] = socket;
        Server.Metrics.SocketConnected(Name, 1);
        Adapter.Join(socket, socket.Id);
        if (socket.Recovered && socket.RecoverySession is { } session)
        {
            foreach (var room in session.Rooms)
            {
                Adapter.Join(socket, room);
            }
        }
    }

    internal void Remove(Socket socket)
    {
        if (_sockets.TryRemove(new KeyValuePair<string, Socket>(socket.Id, socket)))
        {
            Server.Metrics.SocketConnected(Name, -1);
        }
        Adapter.LeaveAll(socket);
        if (Parent is not null && _sockets.IsEmpty && Server.Options.CleanupEmptyChildNamespaces)
        {
            Server.RemoveIfEmpty(this);
        }
    }

    // Broadcast operators, as on socket.io's Namespace.
    /// <inheritdoc cref="BroadcastOperator.To(string)"/>
    public BroadcastOperator To(string room) => new BroadcastOperator(this).To(room);

    /// <inheritdoc cref="BroadcastOperator.To(IEnumerable{string})"/>
    public BroadcastOperator To(IEnumerable<string> rooms) => new BroadcastOperator(this).To(rooms);

    /// <inheritdoc cref="BroadcastOperator.In(string)"/>
    public BroadcastOperator In(string room) => To(room);

    /// <inheritdoc cref="BroadcastOperator.In(IEnumerable{string})"/>
    public BroadcastOperator In(IEnumerable<string> rooms) => To(rooms);

    /// <inheritdoc cref="BroadcastOperator.Except(string)"/>
    public BroadcastOperator Except(string room) => new BroadcastOperator(this).Except(room);

    /// <inheritdoc cref="BroadcastOperator.Except(IEnumerable{string})"/>
    public BroadcastOperator Except(IEnumerable<string> rooms) => new BroadcastOperator(this).Except(rooms);

    /// <inheritdoc cref="BroadcastOperator.Compress(bool)"/>
    public BroadcastOperator Compress(bool compress) => new BroadcastOperator(this).Compress(compress);

    /// <inheritdoc cref="BroadcastOperator.Volatile"/>
    public BroadcastOperator Volatile => new BroadcastOperator(this).Volatile;

    /// <inheritdoc cref="BroadcastOperator.Local"/>
    public BroadcastOperator Local => new BroadcastOperator(this).Local;

    /// <inheritdoc cref="BroadcastOperator.Timeout(TimeSpan)"/>
    public BroadcastOperator Timeout(TimeSpan timeout) => new BroadcastOperator(this).Timeout(timeout);

    /// <inheritdoc cref="BroadcastOperator.EmitAsync(string, EmitArgs)"/>
    public ValueTask EmitAsync(string eventName, params EmitArgs args) => new BroadcastOperator(this).EmitAsync(eventName, args);

    /// <summary>Sends a <c>message</c> event to every socket of the namespace (socket.io's <c>nsp.send</c>).</summary>
    public ValueTask SendAsync(params EmitArgs args) => EmitAsync("message", args);

    /// <summary>socket.io's <c>nsp.write</c>, the same as <see cref="SendAsync"/>.</summary>
    public ValueTask WriteAsync(params EmitArgs args) => EmitAsync("message", args);

    /// <inheritdoc cref="BroadcastOperator.WithCancellation(CancellationToken)"/>
    public BroadcastOperator WithCancellation(CancellationToken cancellationToken) => new BroadcastOperator(this).WithCancellation(cancellationToken);

    /// <inheritdoc cref="BroadcastOperator.FetchSocketsAsync"/>
    public ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default) =>
        new BroadcastOperator(this).FetchSocketsAsync(cancellationToken);

    /// <inheritdoc cref="BroadcastOperator.SocketsJoinAsync(string[])"/>
    public ValueTask SocketsJoinAsync(params string[] rooms) => new BroadcastOperator(this).SocketsJoinAsync(rooms);

    /// <inheritdoc cref="BroadcastOperator.SocketsLeaveAsync(string[])"/>
    public ValueTask SocketsLeaveAsync(params string[] rooms) => new BroadcastOperator(this).SocketsLeaveAsync(rooms);

    /// <inheritdoc cref="BroadcastOperator.DisconnectSocketsAsync(bool, CancellationToken)"/>
    public ValueTask DisconnectSocketsAsync(bool close = false, CancellationToken cancellationToken = default) =>
        new BroadcastOperator(this).DisconnectSocketsAsync(close, cancellationToken);

    /// <summary><c>Namespace /name</c>, for logs.</summary>
    public override string ToString() => $"Namespace {Name}";
}
