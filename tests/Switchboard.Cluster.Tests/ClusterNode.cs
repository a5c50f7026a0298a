using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Switchboard.AspNetCore;
using Switchboard.Redis;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests;

/// <summary>One node of a test cluster: a real Kestrel with its own server, bus and Redis connection.</summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private ClusterNode(TestHost host, RedisClusterBus bus, ConnectionMultiplexer redis)
    {
        Host = host;
        Bus = bus;
        Redis = redis;
    }

    public TestHost Host { get; }

    public RedisClusterBus Bus { get; }

    public ConnectionMultiplexer Redis { get; }

    public SocketServer Server => Host.Services.GetRequiredService<SocketServer>();

    public Namespace Main => Server.Main;

    /// <param name="listen">Kestrel's URL when not the test host's loopback one (<c>http://0.0.0.0:0</c>).</param>
    public static async Task<ClusterNode> StartAsync(RedisServer redis, string prefix, Action<SocketServerOptions>? configure = null, Action<Namespace>? app = null, string? listen = null)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisChannelStore.ParseConfiguration(redis.Endpoint));
        var bus = new RedisClusterBus(connection, new RedisClusterOptions { Store = new RedisChannelStoreOptions { KeyPrefix = prefix } });
        var host = await TestHost.StartAsync(
            builder =>
            {
                if (listen is not null)
                {
                    builder.WebHost.UseUrls(listen);
                }
                builder.Services.AddSwitchboard(options => configure?.Invoke(options)).AddCluster(bus);
            },
            web => web.MapSocketIO("/socket.io", io => app?.Invoke(io.Main)));
        await bus.Ready.WaitAsync(Timeouts.Default);
        // NodeAddress is left to its default: the address Kestrel listens on (port 0 bound by now).
        return new ClusterNode(host, bus, connection);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await Host.DisposeAsync();
        await Bus.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
