using Switchboard.Channels;
using Switchboard.Engine;

namespace Switchboard.SocketIO;

/// <summary>Socket.IO server settings, with the names and defaults of the Node.js server.</summary>
public sealed class SocketServerOptions
{
    /// <summary>Engine.IO settings: heartbeat, payload limit, transports.</summary>
    public EngineOptions Engine { get; } = new();

    /// <summary>How long a new connection may take to join a namespace before it is closed. Default 45 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Whether an ordinary exception thrown by connection middleware gives the client its message in
    /// <c>connect_error</c>, as Node's <c>next(err)</c> does (the default). Off, the client reads
    /// "Internal server error"; a <see cref="SocketConnectException"/>'s message is always sent.
    /// </summary>
    public bool ExposeMiddlewareErrors { get; set; } = true;

    /// <summary>
    /// Whether a namespace made by a dynamic namespace (<see cref="SocketServer.Of(System.Text.RegularExpressions.Regex)"/>)
    /// is removed once its last socket leaves, as socket.io's <c>cleanupEmptyChildNamespaces</c> (off by default,
    /// as there). Turn it on when clients make many short-lived namespaces; the next connection to the name
    /// makes a new one, with new handlers from the parent's connection handlers.
    /// </summary>
    public bool CleanupEmptyChildNamespaces { get; set; }

    /// <summary>Connection, rate, subscription and room limits (docs/protection.md).</summary>
    public LimitOptions Limits { get; } = new();

    /// <summary>How connections are let go when the host stops: refused, then closed over a window (docs/drain.md).</summary>
    public DrainOptions Drain { get; } = new();

    /// <summary>Channel history settings (per channel name pattern).</summary>
    public ChannelOptions Channels { get; } = new();

    /// <summary>
    /// Where channel history is kept on a single node; null keeps it in memory. In a cluster the bus keeps it
    /// (<see cref="Cluster.IClusterBus.History"/>) and this is not used. Replaced by <c>AddSwitchboard().AddChannelStore(...)</c>
    /// (<c>.AddRedisChannelStore(...)</c> in Switchboard.Redis) or <see cref="SocketServer"/>'s <c>channelStore</c> parameter.
    /// </summary>
    [Obsolete("Use services.AddSwitchboard().AddChannelStore(...) / .AddRedisChannelStore(...), or SocketServer's channelStore parameter.")]
    public IChannelStore? ChannelStore { get; set; }

    /// <summary>Connection state recovery; null (the default, as in socket.io) turns it off.</summary>
    public ConnectionStateRecoveryOptions? Recovery { get; set; }

    /// <summary>
    /// Links this node with the others of a cluster (docs/cluster.md); null, the default, is a single node.
    /// Replaced by the builder extensions (<c>AddSwitchboard().AddRedis(...)</c>, <c>.AddCluster(bus)</c>) or
    /// <see cref="SocketServer"/>'s <c>cluster</c> parameter, which keep the options plain data.
    /// </summary>
    [Obsolete("Use services.AddSwitchboard().AddRedis(...) / .AddCluster(bus), or SocketServer's cluster parameter.")]
    public Cluster.IClusterBus? Cluster { get; set; }

    /// <summary>
    /// The address other nodes of the cluster reach this node at (<c>http://10.0.0.5:8080</c>), to forward
    /// the long-polling requests of its sessions that a load balancer sent elsewhere. Null: requests for
    /// this node's sessions that land on another node are refused as unknown sessions.
    /// </summary>
    public string? NodeAddress { get; set; }

    /// <summary>How long a cluster-wide operation (fetch, join, leave, disconnect, server-side emit) waits for the other nodes. Default 5 s.</summary>
    public TimeSpan ClusterRequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long acknowledgements of a broadcast with acks are taken from other nodes. Default 2 minutes.</summary>
    public TimeSpan ClusterAckWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The wire format of Socket.IO packets (socket.io's <c>parser</c>): <see cref="SocketParser.Json"/>, the
    /// default, or <see cref="SocketParser.MsgPack"/> for clients using socket.io-msgpack-parser (docs/parsers.md).
    /// </summary>
    public SocketParser Parser { get; set; } = SocketParser.Json;

    /// <summary>
    /// Creates the adapter of each namespace; the default keeps everything in memory. Replaced by
    /// <c>AddSwitchboard().AddAdapter(...)</c> or <see cref="SocketServer"/>'s <c>adapterFactory</c> parameter,
    /// which keep the options plain data; still honoured when neither is given.
    /// </summary>
    [Obsolete("Use services.AddSwitchboard().AddAdapter(nsp => ...), or SocketServer's adapterFactory parameter.")]
    public Func<Namespace, SocketAdapter> AdapterFactory { get; set; } = nsp => new SocketAdapter(nsp);
}
