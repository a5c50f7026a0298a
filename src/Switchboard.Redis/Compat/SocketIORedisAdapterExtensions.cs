using Microsoft.Extensions.Logging;

namespace Switchboard.Redis.Compat;

/// <summary>Sharing a cluster with Node socket.io servers that use <c>@socket.io/redis-adapter</c> (docs/redis-adapter-compat.md).</summary>
public static class SocketIORedisAdapterExtensions
{
    /// <summary>
    /// Wraps the bus so the cluster also speaks <c>@socket.io/redis-adapter</c>'s protocol over the same Redis
    /// connection. Give the returned bridge to <c>SocketServerOptions.Cluster</c> instead of the bus, call
    /// <see cref="SocketIORedisAdapterBridge.ServeRequests"/> once the server exists, and dispose the bridge
    /// before the bus.
    /// </summary>
    public static SocketIORedisAdapterBridge WithSocketIORedisAdapter(this RedisClusterBus bus, SocketIORedisAdapterOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return new SocketIORedisAdapterBridge(bus, bus.Connection, options, loggers);
    }
}
