using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.Redis.Compat;
using Switchboard.SocketIO;

namespace Switchboard.Redis;

/// <summary>
/// A cluster over Redis as a builder extension, as SignalR's <c>AddStackExchangeRedis</c>:
/// <c>services.AddSwitchboard().AddRedis("redis:6379")</c> (docs/cluster.md), and
/// <c>.AddRedisAdapterCompat()</c> to also speak <c>@socket.io/redis-adapter</c>'s protocol
/// (docs/redis-adapter-compat.md).
/// </summary>
public static class SwitchboardRedisBuilderExtensions
{
    /// <summary>
    /// Makes the server a node of a cluster over Redis: registers a <see cref="RedisClusterBus"/> on its own
    /// connection (a StackExchange.Redis configuration string, with the defaults of
    /// <see cref="RedisChannelStore.ParseConfiguration"/>), which also keeps the channels' history. The node
    /// joins in the background (<see cref="RedisClusterBus.Ready"/>); the bus and its connection are disposed
    /// with the host's services.
    /// </summary>
    /// <param name="builder">The Switchboard registration.</param>
    /// <param name="configuration">The Redis server, or a Sentinel string: <c>host:port,password=…</c>.</param>
    /// <param name="options">Key prefix, node id and timings; defaults when null.</param>
    public static ISwitchboardBuilder AddRedis(this ISwitchboardBuilder builder, string configuration, RedisClusterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return builder.AddRedis(RedisChannelStore.ParseConfiguration(configuration), options);
    }

    /// <summary>As <see cref="AddRedis(ISwitchboardBuilder, string, RedisClusterOptions?)"/> with parsed StackExchange.Redis settings.</summary>
    public static ISwitchboardBuilder AddRedis(this ISwitchboardBuilder builder, ConfigurationOptions configuration, RedisClusterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.TryAddSingleton(_ => new RedisConnection(configuration));
        builder.Services.TryAddSingleton(sp => new RedisClusterBus(sp.GetRequiredService<RedisConnection>().Multiplexer, options, sp.GetService<ILoggerFactory>()));
        return builder.AddCluster(sp => sp.GetRequiredService<RedisClusterBus>());
    }

    /// <summary>
    /// Keeps a single node's channel history in Redis (<see cref="RedisChannelStore"/>) on a connection of
    /// its own, disposed with the host's services. A cluster does not need it: <c>AddRedis</c>'s bus keeps the history.
    /// </summary>
    /// <param name="builder">The Switchboard registration.</param>
    /// <param name="configuration">The Redis server: <c>host:port,password=…</c>.</param>
    /// <param name="options">Key prefix, database and expiry; defaults when null.</param>
    public static ISwitchboardBuilder AddRedisChannelStore(this ISwitchboardBuilder builder, string configuration, RedisChannelStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return builder.AddChannelStore(_ => RedisChannelStore.Connect(configuration, options));
    }

    /// <summary>
    /// Also speaks <c>@socket.io/redis-adapter</c>'s protocol on the Redis cluster registered by
    /// <see cref="AddRedis(ISwitchboardBuilder, string, RedisClusterOptions?)"/> (call that first): Node
    /// socket.io servers and <c>@socket.io/redis-emitter</c> share the rooms. The node answers their requests
    /// once the host has started.
    /// </summary>
    /// <param name="builder">The Switchboard registration.</param>
    /// <param name="options">The adapter's channel prefix (its <c>key</c> option) and whether requests are answered; defaults when null.</param>
    public static ISwitchboardBuilder AddRedisAdapterCompat(this ISwitchboardBuilder builder, SocketIORedisAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!builder.Services.Any(d => d.ServiceType == typeof(RedisClusterBus)))
        {
            throw new InvalidOperationException("Call AddRedis(...) before AddRedisAdapterCompat().");
        }
        builder.Services.TryAddSingleton(sp => sp.GetRequiredService<RedisClusterBus>().WithSocketIORedisAdapter(options, sp.GetService<ILoggerFactory>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AdapterRequests>());
        return builder.AddCluster(sp => sp.GetRequiredService<SocketIORedisAdapterBridge>());
    }

    /// <summary>The connection <see cref="AddRedis(ISwitchboardBuilder, ConfigurationOptions, RedisClusterOptions?)"/> opens, owned by the container.</summary>
    private sealed class RedisConnection(ConfigurationOptions configuration) : IAsyncDisposable
    {
        private readonly Lazy<ConnectionMultiplexer> _multiplexer = new(() => ConnectionMultiplexer.Connect(configuration));

        public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

        public async ValueTask DisposeAsync()
        {
            if (_multiplexer.IsValueCreated)
            {
                await _multiplexer.Value.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Answers the Node servers' requests once the server exists (the bridge cannot take it earlier: the server is built on the bridge).</summary>
    private sealed class AdapterRequests(SocketIORedisAdapterBridge bridge, SocketServer server) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            bridge.ServeRequests(server);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
