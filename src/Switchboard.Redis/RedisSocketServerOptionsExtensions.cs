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
    [Obsolete("Use services.AddSwitchboard().AddRedisChannelStore(...), or SocketServer's channelStore parameter.")]
    public static RedisChannelStore UseRedisChannelStore(this SocketServerOptions options, string configuration, RedisChannelStoreOptions? storeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = RedisChannelStore.Connect(configuration, storeOptions);
#pragma warning disable CS0618 // the obsolete option, set by the obsolete method that replaces it
        options.ChannelStore = store;
#pragma warning restore CS0618
        return store;
    }

    /// <summary>Keeps channel history in Redis over a connection the caller owns.</summary>
    [Obsolete("Use services.AddSwitchboard().AddChannelStore(new RedisChannelStore(redis, ...)), or SocketServer's channelStore parameter.")]
    public static RedisChannelStore UseRedisChannelStore(this SocketServerOptions options, IConnectionMultiplexer redis, RedisChannelStoreOptions? storeOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = new RedisChannelStore(redis, storeOptions);
#pragma warning disable CS0618 // the obsolete option, set by the obsolete method that replaces it
        options.ChannelStore = store;
#pragma warning restore CS0618
        return store;
    }
}
