using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore;
using Switchboard.Channels;
using Switchboard.Redis;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests;

/// <summary>The Redis package's builder extensions on a real Kestrel and a real redis-server.</summary>
public sealed class RedisBuilderTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private readonly string _prefix = $"b{Guid.NewGuid():N}"[..9] + ":";

    [Fact]
    public async Task AddRedis_makes_the_server_a_node_whose_history_is_the_bus_s()
    {
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard().AddRedis(redis.Endpoint, new RedisClusterOptions { Store = new() { KeyPrefix = _prefix } }),
            web => web.MapSocketIO("/socket.io"));
        var server = host.Services.GetRequiredService<SocketServer>();
        var bus = Assert.IsType<RedisClusterBus>(server.Cluster);
        Assert.Same(host.Services.GetRequiredService<RedisClusterBus>(), bus);
        Assert.Same(bus.History, server.ChannelStore);
        await bus.Ready.WaitAsync(Timeouts.Default);

        var published = await server.Main.Channels.PublishAsync(["news"], "story", [1]).AsTask().WaitAsync(Timeouts.Default);

        // Stored in Redis under the prefix: another store on the same keys reads it.
        var read = await new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = _prefix }).ReadAsync("/", "news", null, 10);
        Assert.Equal(published.Positions["news"], Assert.Single(read.Entries).Position);
    }

    [Fact]
    public async Task AddRedisChannelStore_keeps_a_single_node_s_history_in_redis()
    {
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard().AddRedisChannelStore(redis.Endpoint, new RedisChannelStoreOptions { KeyPrefix = _prefix }),
            web => web.MapSocketIO("/socket.io"));
        var server = host.Services.GetRequiredService<SocketServer>();
        Assert.Null(server.Cluster);
        Assert.IsType<RedisChannelStore>(server.ChannelStore);

        var published = await server.Main.Channels.PublishAsync(["news"], "story", [1]).AsTask().WaitAsync(Timeouts.Default);

        var read = await new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = _prefix }).ReadAsync("/", "news", null, 10);
        Assert.Equal(published.Positions["news"], Assert.Single(read.Entries).Position);
    }
}
