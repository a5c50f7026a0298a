using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Cluster;
using Switchboard.Redis;
using Switchboard.Redis.Compat;
using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Joins the node to a cluster over Redis when <c>Switchboard:Redis:Configuration</c> is set (a
/// StackExchange.Redis configuration string: <c>host:port,password=…,ssl=true</c>); otherwise the
/// server is a single node with everything in memory. <c>Switchboard:Redis:KeyPrefix</c> (default
/// <c>sb:</c>) separates clusters sharing one Redis, <c>Switchboard:Redis:NodeId</c> names the node,
/// <c>Switchboard:Redis:NodeAddress</c> is where the other nodes forward its long-polling requests
/// (default: the first address the server listens on). <c>Switchboard:Redis:Compat:SocketIO=true</c> also speaks
/// <c>@socket.io/redis-adapter</c>'s protocol (docs/redis-adapter-compat.md),
/// <c>Switchboard:Redis:Compat:SocketIOKey</c> being its channel prefix.
/// </summary>
public static class RedisClusterHosting
{
    public static void AddRedisCluster(this WebApplicationBuilder builder, IConfigurationSection section)
    {
        var configuration = section["Configuration"];
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return;
        }
        var store = new RedisChannelStoreOptions { KeyPrefix = section["KeyPrefix"] ?? "sb:" };
        var options = new RedisClusterOptions { Store = store, NodeId = section["NodeId"] };
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(RedisChannelStore.ParseConfiguration(configuration)));
        builder.Services.AddSingleton(sp => new RedisClusterBus(sp.GetRequiredService<IConnectionMultiplexer>(), options, sp.GetRequiredService<ILoggerFactory>()));
        var compat = section.GetSection("Compat");
        if (compat.GetValue<bool>("SocketIO"))
        {
            var compatOptions = new SocketIORedisAdapterOptions { Key = compat["SocketIOKey"] ?? "socket.io" };
            builder.Services.AddSingleton(sp => sp.GetRequiredService<RedisClusterBus>().WithSocketIORedisAdapter(compatOptions, sp.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddSingleton<IClusterBus>(sp => sp.GetRequiredService<SocketIORedisAdapterBridge>());
        }
        else
        {
            builder.Services.AddSingleton<IClusterBus>(sp => sp.GetRequiredService<RedisClusterBus>());
        }
        builder.Services.AddSingleton<IConfigureOptions<SocketServerOptions>>(sp => new ConfigureOptions<SocketServerOptions>(o =>
        {
            o.Cluster = sp.GetRequiredService<IClusterBus>();
            o.ChannelStore = sp.GetRequiredService<RedisClusterBus>().Store;
            // Where other nodes forward this node's long-polling requests; unset, the first address it
            // listens on (MapSocketIO reads it once Kestrel has started).
            o.NodeAddress ??= section["NodeAddress"];
        }));
        builder.Services.AddHostedService<ClusterStartup>();
    }

    /// <summary>Waits for the node to join the cluster before the server takes connections (at most a while: it keeps trying after that).</summary>
    private sealed class ClusterStartup(RedisClusterBus bus, IClusterBus cluster, SocketServer server, ILogger<ClusterStartup> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var bridge = cluster as SocketIORedisAdapterBridge;
            bridge?.ServeRequests(server);
            try
            {
                await bus.Ready.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                if (bridge is not null)
                {
                    await bridge.Ready.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                }
                log.LogInformation("Cluster node {Node} is ready", bus.NodeId);
            }
            catch (TimeoutException)
            {
                log.LogWarning("Cluster node {Node} has not reached Redis yet; serving local clients while it keeps trying", bus.NodeId);
            }
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (cluster is SocketIORedisAdapterBridge bridge)
            {
                await bridge.DisposeAsync();
            }
            await bus.DisposeAsync();
        }
    }
}
