using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;
using Switchboard.Timing;

namespace Switchboard.SocketIO;

/// <summary>
/// A Socket.IO server (socket.io's <c>io</c>): its namespaces, and the Engine.IO server under them. The
/// members that socket.io puts on <c>io</c> act on the main namespace <c>/</c>.
/// </summary>
public sealed partial class SocketServer : IDisposable
{
    private readonly ConcurrentDictionary<string, Namespace> _namespaces = new(StringComparer.Ordinal);
    private readonly List<ParentNamespace> _parents = [];
    private readonly bool _ownsChannelStore;

    /// <summary>A Socket.IO server with <paramref name="options"/>; <c>AddSwitchboard</c> makes the application's one.</summary>
    /// <param name="options">The server's options.</param>
    /// <param name="loggers">Where it logs; nowhere when null.</param>
    /// <param name="time">Its clock; the system's when null.</param>
    /// <param name="metrics">Where it counts (docs/metrics.md); a meter of its own when null.</param>
    /// <param name="cluster">The bus to the other nodes of a cluster, which also owns the channels' history; null is a single node.</param>
    /// <param name="channelStore">Where a single node keeps channel history; in memory when null. Not used with a cluster (its bus owns the history).</param>
    /// <param name="adapterFactory">Makes the adapter of each namespace (<see cref="Namespace.Adapter"/>); the in-memory <see cref="SocketAdapter"/> when null.</param>
    public SocketServer(SocketServerOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null, Diagnostics.SwitchboardMetrics? metrics = null,
        IClusterBus? cluster = null, IChannelStore? channelStore = null, Func<Namespace, SocketAdapter>? adapterFactory = null)
    {
        Options = options;
#pragma warning disable CS0618 // the obsolete option still works until it is removed
        Cluster = cluster ?? options.Cluster;
#pragma warning restore CS0618
        Time = time ?? TimeProvider.System;
        Metrics = metrics ?? new Diagnostics.SwitchboardMetrics();
        _ownsMetrics = metrics is null;
        loggers ??= NullLoggerFactory.Instance;
        Log = new SocketLog(loggers.CreateLogger("Switchboard.SocketIO"));
        Limits = new SocketLimits(loggers.CreateLogger("Switchboard.Limits"), Time);
#pragma warning disable CS0618 // the obsolete option still works until it is removed
        AdapterFactory = adapterFactory ?? options.AdapterFactory;
#pragma warning restore CS0618
        Engine = new EngineServer(options.Engine, session => _ = new SocketClient(this, session), loggers.CreateLogger("Switchboard.EngineIO"), Time);
        Engine.UseMetrics(Metrics, "socket.io");
        ConnectTimeoutLane = Engine.CreateLane(options.ConnectTimeout);
        // In a cluster the history has one owner, the bus: every node reads the log the bus appends to.
#pragma warning disable CS0618 // the obsolete option still works until it is removed
        var given = Cluster?.History ?? channelStore ?? options.ChannelStore;
#pragma warning restore CS0618
        _ownsChannelStore = given is null;
        ChannelStore = given ?? new InMemoryChannelStore(Time, options.Channels, loggers.CreateLogger("Switchboard.Limits"));
        if (options.Recovery is { } recovery)
        {
            RecoveryLane = Engine.CreateLane(recovery.MaxDisconnectionDuration);
        }
        Metrics.Observe(this);
        if (Cluster is Diagnostics.IMetricsSource clusterSource)
        {
            Metrics.Observe(clusterSource);
        }
        Main = Of("/");
        if (Cluster is not null)
        {
            ClusterOperations = new ClusterOperations(this, Cluster);
            Cluster.Attach(new ClusterSink(this));
        }
    }

    /// <summary>The bus to the other nodes of the cluster; null on a single node.</summary>
    public IClusterBus? Cluster { get; }

    internal ClusterOperations? ClusterOperations { get; }

    /// <summary>The options the server was made with.</summary>
    public SocketServerOptions Options { get; }

    /// <summary>The Engine.IO server under it (socket.io's <c>io.engine</c>).</summary>
    public EngineServer Engine { get; }

    /// <summary>The clock of heartbeats, timeouts and recovery.</summary>
    public TimeProvider Time { get; }

    /// <summary>The main namespace, <c>/</c>.</summary>
    public Namespace Main { get; }

    /// <summary>The namespaces that exist now.</summary>
    public IEnumerable<Namespace> Namespaces => _namespaces.Values;

    internal Func<Namespace, SocketAdapter> AdapterFactory { get; }

    internal SocketLog Log { get; }

    /// <summary>What the event, room and subscription limits of <see cref="SocketServerOptions.Limits"/> refused.</summary>
    public SocketLimits Limits { get; }

    internal DeadlineScheduler.Lane ConnectTimeoutLane { get; }

    internal DeadlineScheduler.Lane? RecoveryLane { get; }

    /// <summary>Where the channels of every namespace keep their history.</summary>
    public IChannelStore ChannelStore { get; }

    /// <summary>Gets or creates the namespace with this name (a leading <c>/</c> is added when missing).</summary>
    public Namespace Of(string name)
    {
        if (!name.StartsWith('/'))
        {
            name = "/" + name;
        }
        return GetOrCreate(name, null);
    }

    /// <summary>Gets or creates a namespace and adds a connection handler to it (socket.io's <c>io.of(name, fn)</c>).</summary>
    public Namespace Of(string name, Action<Socket> onConnection) => Of(name).OnConnection(onConnection);

    /// <summary>The namespace <paramref name="name"/>, with <paramref name="onConnection"/> added to it.</summary>
    public Namespace Of(string name, Func<Socket, ValueTask> onConnection) => Of(name).OnConnection(onConnection);

    private Namespace GetOrCreate(string name, ParentNamespace? parent)
    {
        if (_namespaces.TryGetValue(name, out var existing))
        {
            return existing;
        }
        var created = new Namespace(this, name, parent);
        var nsp = _namespaces.GetOrAdd(name, created);
        if (nsp == created)
        {
            try
            {
                NamespaceCreated?.Invoke(nsp);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(name, "new_namespace", ex);
            }
        }
        return nsp;
    }

    /// <summary>A namespace was made, by <see cref="Of(string)"/> or by a dynamic namespace (socket.io's <c>new_namespace</c>).</summary>
    public event Action<Namespace>? NamespaceCreated;

    /// <summary>
    /// The address of the node that holds an Engine.IO session (<see cref="SocketServerOptions.NodeAddress"/>),
    /// asked of the cluster; null when no node has it, or on a single node.
    /// </summary>
    public async ValueTask<string?> LocateSessionAsync(string sid, CancellationToken cancellationToken = default)
    {
        if (ClusterOperations is not { } operations)
        {
            return null;
        }
        var body = ClusterWire.Write(w => w.WriteString("sid"u8, sid));
        foreach (var reply in await operations.AskAsync(Main, "find-session", [], body, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!reply.Body.IsEmpty)
            {
                return System.Text.Encoding.UTF8.GetString(reply.Body.Span);
            }
        }
        return null;
    }

    internal Namespace? TryGetNamespace(string name) => _namespaces.GetValueOrDefault(name);

    /// <summary>Forgets a child namespace with no socket left (<see cref="SocketServerOptions.CleanupEmptyChildNamespaces"/>).</summary>
    internal void RemoveIfEmpty(Namespace nsp)
    {
        if (nsp.Sockets.Count == 0 && _namespaces.TryRemove(new KeyValuePair<string, Namespace>(nsp.Name, nsp)))
        {
            Log.NamespaceRemoved(nsp.Name);
            NamespaceRemoved?.Invoke(nsp);
        }
    }

    /// <summary>A child namespace was removed because its last socket left (<see cref="SocketServerOptions.CleanupEmptyChildNamespaces"/>).</summary>
    public event Action<Namespace>? NamespaceRemoved;

    /// <summary>A dynamic namespace: every requested name matching <paramref name="pattern"/> is created on demand.</summary>
    public ParentNamespace Of(Regex pattern) => AddParent(ParentNamespace.FromRegex(pattern));

    /// <summary>A dynamic namespace decided by a predicate over the requested name and the CONNECT auth payload.</summary>
    public ParentNamespace Of(Func<string, JsonElement, ValueTask<bool>> predicate) => AddParent(new ParentNamespace(predicate));

    private ParentNamespace AddParent(ParentNamespace parent)
    {
        lock (_parents)
        {
            _parents.Add(parent);
        }
        return parent;
    }

    internal async ValueTask<Namespace?> ResolveNamespaceAsync(string name, JsonElement auth)
    {
        if (_namespaces.TryGetValue(name, out var existing))
        {
            return existing;
        }
        ParentNamespace[] parents;
        lock (_parents)
        {
            parents = [.. _parents];
        }
        foreach (var parent in parents)
        {
            if (await parent.MatchesAsync(name, auth).ConfigureAwait(false))
            {
                return GetOrCreate(name, parent);
            }
        }
        return null;
    }

    // The main namespace's members, as on socket.io's io object.
    /// <inheritdoc cref="Namespace.Use(Func{Socket, Func{ValueTask}, ValueTask})"/>
    public Namespace Use(Func<Socket, Func<ValueTask>, ValueTask> middleware) => Main.Use(middleware);

    /// <inheritdoc cref="Namespace.OnConnection(Func{Socket, ValueTask})"/>
    public Namespace OnConnection(Func<Socket, ValueTask> handler) => Main.OnConnection(handler);

    /// <inheritdoc cref="Namespace.OnConnection(Func{Socket, ValueTask})"/>
    public Namespace OnConnection(Action<Socket> handler) => Main.OnConnection(handler);

    /// <inheritdoc cref="Namespace.OffConnection(Delegate)"/>
    public Namespace OffConnection(Delegate? handler = null) => Main.OffConnection(handler);

    /// <inheritdoc cref="BroadcastOperator.To(string)"/>
    public BroadcastOperator To(string room) => Main.To(room);

    /// <inheritdoc cref="BroadcastOperator.To(IEnumerable{string})"/>
    public BroadcastOperator To(IEnumerable<string> rooms) => Main.To(rooms);

    /// <inheritdoc cref="BroadcastOperator.In(string)"/>
    public BroadcastOperator In(string room) => Main.To(room);

    /// <inheritdoc cref="BroadcastOperator.In(IEnumerable{string})"/>
    public BroadcastOperator In(IEnumerable<string> rooms) => Main.To(rooms);

    /// <inheritdoc cref="BroadcastOperator.Except(string)"/>
    public BroadcastOperator Except(string room) => Main.Except(room);

    /// <inheritdoc cref="BroadcastOperator.Except(IEnumerable{string})"/>
    public BroadcastOperator Except(IEnumerable<string> rooms) => Main.Except(rooms);

    /// <inheritdoc cref="BroadcastOperator.Compress(bool)"/>
    public BroadcastOperator Compress(bool compress) => Main.Compress(compress);

    /// <inheritdoc cref="BroadcastOperator.Volatile"/>
    public BroadcastOperator Volatile => Main.Volatile;

    /// <inheritdoc cref="BroadcastOperator.Local"/>
    public BroadcastOperator Local => Main.Local;

    /// <inheritdoc cref="BroadcastOperator.Timeout(TimeSpan)"/>
    public BroadcastOperator Timeout(TimeSpan timeout) => Main.Timeout(timeout);

    /// <inheritdoc cref="BroadcastOperator.EmitAsync(string, EmitArgs)"/>
    public ValueTask EmitAsync(string eventName, params EmitArgs args) => Main.EmitAsync(eventName, args);

    /// <inheritdoc cref="BroadcastOperator.SendAsync(EmitArgs)"/>
    public ValueTask SendAsync(params EmitArgs args) => Main.SendAsync(args);

    /// <inheritdoc cref="BroadcastOperator.SendAsync(EmitArgs)"/>
    public ValueTask WriteAsync(params EmitArgs args) => Main.SendAsync(args);

    /// <inheritdoc cref="Namespace.ServerSideEmitAsync(string, EmitArgs)"/>
    public ValueTask ServerSideEmitAsync(string eventName, params EmitArgs args) => Main.ServerSideEmitAsync(eventName, args);

    /// <inheritdoc cref="Namespace.ServerSideEmitWithAckAsync(string, EmitArgs)"/>
    public Task<IReadOnlyList<SocketArguments>> ServerSideEmitWithAckAsync(string eventName, params EmitArgs args) => Main.ServerSideEmitWithAckAsync(eventName, args);

    /// <inheritdoc cref="BroadcastOperator.WithCancellation(CancellationToken)"/>
    public BroadcastOperator WithCancellation(CancellationToken cancellationToken) => Main.WithCancellation(cancellationToken);

    /// <inheritdoc cref="BroadcastOperator.FetchSocketsAsync"/>
    public ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default) => Main.FetchSocketsAsync(cancellationToken);

    /// <inheritdoc cref="BroadcastOperator.SocketsJoinAsync(string[])"/>
    public ValueTask SocketsJoinAsync(params string[] rooms) => Main.SocketsJoinAsync(rooms);

    /// <inheritdoc cref="BroadcastOperator.SocketsLeaveAsync(string[])"/>
    public ValueTask SocketsLeaveAsync(params string[] rooms) => Main.SocketsLeaveAsync(rooms);

    /// <inheritdoc cref="BroadcastOperator.DisconnectSocketsAsync(bool, CancellationToken)"/>
    public ValueTask DisconnectSocketsAsync(bool close = false, CancellationToken cancellationToken = default) => Main.DisconnectSocketsAsync(close, cancellationToken);

    /// <summary>Closes every connection; sockets see <see cref="DisconnectReason.ServerShuttingDown"/>.</summary>
    public void Dispose()
    {
        Engine.Dispose();
        Metrics.Forget(this);
        if (Cluster is Diagnostics.IMetricsSource clusterSource)
        {
            Metrics.Forget(clusterSource);
        }
        if (_ownsMetrics)
        {
            Metrics.Dispose();
        }
        if (_ownsChannelStore && ChannelStore is IDisposable owned)
        {
            owned.Dispose();
        }
    }
}

/// <summary>Hands what the cluster delivers to the namespaces of this node (a namespace this node never had has no members here).</summary>
internal sealed class ClusterSink(SocketServer server) : IClusterSink
{
    public ValueTask OnPublicationAsync(ClusterDelivery delivery, CancellationToken cancellationToken = default) =>
        cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled(cancellationToken)
        : server.TryGetNamespace(delivery.Namespace) is { Channels.Backplane: ClusterBackplane backplane } ? backplane.DeliverAsync(delivery) : ValueTask.CompletedTask;

    public void OnBroadcast(ClusterBroadcast broadcast)
    {
        if (server.TryGetNamespace(broadcast.Namespace) is { } nsp)
        {
            server.Metrics.Delivered(nsp.Adapter.DeliverLocal(broadcast.Packet, broadcast.Options), nsp.Name);
        }
    }

    public void OnRequest(ClusterRequest request) => server.ClusterOperations!.OnRequest(request);

    public void OnReply(ClusterReply reply) => server.ClusterOperations!.OnReply(reply);
}

internal sealed partial class SocketLog(ILogger logger)
{
    public ILogger Logger => logger;

    [LoggerMessage(100, LogLevel.Debug, "Socket {SocketId} connected to {Namespace}")]
    public partial void SocketConnected(string socketId, string @namespace);

    [LoggerMessage(101, LogLevel.Debug, "Socket {SocketId} left {Namespace}: {Reason}")]
    public partial void SocketDisconnected(string socketId, string @namespace, string reason);

    [LoggerMessage(102, LogLevel.Error, "Handler for {EventName} on socket {SocketId} failed")]
    public partial void HandlerFailed(string socketId, string eventName, Exception exception);

    [LoggerMessage(103, LogLevel.Information, "Session {Sid} asked for unknown namespace {Namespace}")]
    public partial void InvalidNamespace(string sid, string @namespace);

    [LoggerMessage(104, LogLevel.Information, "Session {Sid} refused on {Namespace}: {Message}")]
    public partial void ConnectRefused(string sid, string @namespace, string message);

    [LoggerMessage(105, LogLevel.Information, "Session {Sid} sent an invalid Socket.IO packet ({Reason}); connection closed")]
    public partial void ParseError(string sid, string reason);

    [LoggerMessage(106, LogLevel.Information, "Session {Sid} joined no namespace in time; connection closed")]
    public partial void ConnectTimeout(string sid);

    [LoggerMessage(107, LogLevel.Debug, "Socket {SocketId} acknowledged unknown id {AckId}")]
    public partial void UnknownAck(string socketId, long ackId);

    [LoggerMessage(108, LogLevel.Information, "Socket {SocketId} could not be recovered on {Namespace} (history no longer continuous); connected as a new socket")]
    public partial void RecoveryFailed(string socketId, string @namespace);

    [LoggerMessage(109, LogLevel.Warning, "A cluster request '{Kind}' from node {Origin} failed: {Reason}")]
    public partial void ClusterRequestFailed(string kind, string origin, string reason);

    [LoggerMessage(113, LogLevel.Debug, "Namespace {Namespace} had no socket left and was removed")]
    public partial void NamespaceRemoved(string @namespace);

    [LoggerMessage(112, LogLevel.Error, "Session {Sid} could not join {Namespace}; answered with a CONNECT_ERROR")]
    public partial void ConnectFailed(string sid, string @namespace, Exception exception);
}
