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
/// <c>Switchboard:Redis:Compat:SocketIOKey</c> being its channel prefix. The start waits
/// <c>Switchboard:Redis:StartTimeout</c> (default 20 s) for the node to join, then goes on serving local
/// clients, not ready, while it keeps trying; with <c>Switchboard:Redis:FailFast=true</c> it gives up
/// instead and the process ends with exit code 1 (docs/operations.md).
/// </summary>
public static class RedisClusterHosting
{
    public static void AddRedisCluster(this WebApplicationBuilder builder, ISwitchboardBuilder switchboard, IConfigurationSection section)
    {
        var configuration = section["Configuration"];
        if (string.IsNullOrWhiteSpace(configuration))
        {
            return;
        }
        var store = new RedisChannelStoreOptions { KeyPrefix = section["KeyPrefix"] ?? "sb:" };
        var start = ClusterStart.Read(section);
        builder.Services.AddSingleton(start);
        builder.Services.AddHealthChecks().AddSwitchboardRedis();
        switchboard.AddRedis(start.Connection, new RedisClusterOptions { Store = store, NodeId = section["NodeId"] });
        var compat = section.GetSection("Compat");
        if (compat.GetValue<bool>("SocketIO"))
        {
            switchboard.AddRedisAdapterCompat(new SocketIORedisAdapterOptions { Key = compat["SocketIOKey"] ?? "socket.io" });
        }
        // Where other nodes forward this node's long-polling requests; unset, the first address it
        // listens on (MapSocketIO reads it once Kestrel has started).
        builder.Services.Configure<SocketServerOptions>(o => o.NodeAddress ??= section["NodeAddress"]);
        builder.Services.AddHostedService<ClusterStartup>();
    }

    /// <summary>
    /// Waits for the node to join the cluster before the server reports started (at most
    /// <see cref="ClusterStart.Timeout"/>: it keeps trying after that, or with <see cref="ClusterStart.FailFast"/> gives up).
    /// </summary>
    private sealed class ClusterStartup(RedisClusterBus bus, IClusterBus cluster, ClusterStart start, ILogger<ClusterStartup> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            // The bridge answers Node servers' requests from AddRedisAdapterCompat's own start.
            var bridge = cluster as SocketIORedisAdapterBridge;
            try
            {
                await bus.Ready.WaitAsync(start.Timeout, cancellationToken);
                if (bridge is not null)
                {
                    await bridge.Ready.WaitAsync(start.Timeout, cancellationToken);
                }
                log.LogInformation("Cluster node {Node} is ready", bus.NodeId);
            }
            catch (TimeoutException) when (start.FailFast)
            {
                throw new StartupFailure(StartupFailure.CannotRun,
                    $"Redis ({bus.Endpoint}) was not reached within {start.Timeout.TotalSeconds:0.#} s and Switchboard:Redis:FailFast is on: {await WhyAsync()}");
            }
            catch (TimeoutException)
            {
                log.LogWarning("Cluster node {Node} has not reached Redis yet; serving local clients, not ready, while it keeps trying", bus.NodeId);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped while starting (SIGTERM): nothing to wait for any more.
            }
        }

        private async Task<string> WhyAsync()
        {
            try
            {
                await bus.PingAsync().WaitAsync(TimeSpan.FromSeconds(2));
                return "it answers now, but the node could not join";
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return RedisFailure.Describe(ex);
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

/// <summary>How the node starts with Redis: the parsed connection string, how long to wait, whether to give up.</summary>
internal sealed record ClusterStart(ConfigurationOptions Connection, TimeSpan Timeout, bool FailFast)
{
    public static ClusterStart Read(IConfigurationSection section)
    {
        ConfigurationOptions connection;
        try
        {
            connection = RedisChannelStore.ParseConfiguration(section["Configuration"]!);
        }
        catch (ArgumentException ex)
        {
            throw new StartupFailure(StartupFailure.BadSettings, $"{section.Path}:Configuration: {ex.Message}", ex);
        }
        var timeout = section.GetValue("StartTimeout", TimeSpan.FromSeconds(20));
        if (timeout < TimeSpan.Zero)
        {
            throw new StartupFailure(StartupFailure.BadSettings, $"{section.Path}:StartTimeout must not be negative (it is {timeout}).");
        }
        return new ClusterStart(connection, timeout, section.GetValue<bool>("FailFast"));
    }
}
