using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Redis;
using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Joins the node to a cluster over Redis when <c>Switchboard:Redis:Configuration</c> is set (a
/// StackExchange.Redis configuration string: <c>host:port,password=…,ssl=true</c>); otherwise the
/// server is a single node with everything in memory. <c>Switchboard:Redis:KeyPrefix</c> (default
/// <c>sb:</c>) separates clusters sharing one Redis, <c>Switchboard:Redis:NodeId</c> names the node,
/// <c>Switchboard:Redis:NodeAddress</c> is where the other nodes forward its long-polling requests
/// (default: the first of <c>--urls</c>).
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
        builder.Services.AddSingleton<IConfigureOptions<SocketServerOptions>>(sp => new ConfigureOptions<SocketServerOptions>(o =>
        {
            var bus = sp.GetRequiredService<RedisClusterBus>();
            o.Cluster = bus;
            o.ChannelStore = bus.Store;
            // Where other nodes forward this node's long-polling requests: the first address it listens on.
            o.NodeAddress ??= section["NodeAddress"] ?? FirstUrl(builder.Configuration["urls"]) ?? "http://127.0.0.1:8080";
        }));
        builder.Services.AddHostedService<ClusterStartup>();
    }

    private static string? FirstUrl(string? urls) =>
        urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()?.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);

    /// <summary>Waits for the node to join the cluster before the server takes connections (at most a while: it keeps trying after that).</summary>
    private sealed class ClusterStartup(RedisClusterBus bus, SocketServer server, ILogger<ClusterStartup> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            _ = server;
            try
            {
                await bus.Ready.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
                log.LogInformation("Cluster node {Node} is ready", bus.NodeId);
            }
            catch (TimeoutException)
            {
                log.LogWarning("Cluster node {Node} has not reached Redis yet; serving local clients while it keeps trying", bus.NodeId);
            }
        }

        public async Task StopAsync(CancellationToken cancellationToken) => await bus.DisposeAsync();
    }
}
