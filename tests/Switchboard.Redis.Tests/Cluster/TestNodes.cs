using StackExchange.Redis;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>
/// Nodes of a test cluster in this process: each a server with its own bus and Redis connection, all
/// disposed (last first) with the test.
/// </summary>
internal sealed class TestNodes(RedisServer redis) : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    /// <summary>Starts a node and waits until it has joined (inbox subscribed, lease taken).</summary>
    public async Task<(SocketServer Server, RedisClusterBus Bus)> StartAsync(RedisClusterOptions options, TimeSpan timeout, Action<ConfigurationOptions>? configure = null,
        Action<SocketServerOptions>? configureServer = null, Diagnostics.SwitchboardMetrics? metrics = null)
    {
        var configuration = RedisChannelStore.ParseConfiguration(redis.Endpoint);
        configure?.Invoke(configuration);
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var bus = new RedisClusterBus(connection, options);
        var serverOptions = new SocketServerOptions();
        configureServer?.Invoke(serverOptions);
        var server = new SocketServer(serverOptions, metrics: metrics, cluster: bus);
        _owned.Add(connection);
        _owned.Add(new Disposer(server.Dispose));
        _owned.Add(bus);
        await bus.Ready.WaitAsync(timeout);
        return (server, bus);
    }

    /// <summary>Disposed with the nodes.</summary>
    public void Own(IAsyncDisposable disposable) => _owned.Add(disposable);

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
