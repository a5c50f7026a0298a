using StackExchange.Redis;
using Switchboard.SocketIO;

namespace Switchboard.Redis;

/// <summary>Keeping channel history in Redis (<see cref="RedisChannelStore"/>).</summary>
public static class RedisSocketServerOptionsExtensions
{
    /// <summary>
    /// Keeps channel history in Redis, connecting with a configuration string (defaults as in
    /// <see cref="RedisChannelStore.ParseConfiguration"/>). Returns the store, which owns its
    /// connection: dispose it when the server stops.
    /// </summary>
    public static RedisChannelStore UseRedisChannelStore(this SocketServerOptions options, string configuration, RedisChannelStoreOptions? storeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = RedisChannelStore.Connect(configuration, storeOptions);
        options.ChannelStore = store;
        return store;
    }

    /// <summary>Keeps channel history in Redis over a connection the caller owns.</summary>
    public static RedisChannelStore UseRedisChannelStore(this SocketServerOptions options, IConnectionMultiplexer redis, RedisChannelStoreOptions? storeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = new RedisChannelStore(redis, storeOptions);
        options.ChannelStore = store;
        return store;
    }
}
