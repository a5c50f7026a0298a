using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.SocketIO;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>Redis restarting under a two-node cluster: publishing fails loudly meanwhile, and the nodes come back by themselves.</summary>
public sealed class RedisClusterOutageTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TestNodes _nodes = new(redis);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    [Fact]
    public async Task Publishing_fails_while_redis_is_down_and_delivery_resumes_across_nodes_after_it_restarts()
    {
        var (a, busA) = await NodeAsync();
        var (b, busB) = await NodeAsync();
        var onB = new Deliveries();
        await b.Main.Channels.SubscribeAsync("feed", onB);
        await a.Main.Channels.PublishAsync(["feed"], "m", ["before"]);
        Assert.Equal("\"before\"", await onB.NextAsync());

        var lost = Signal(h => busA.Store.Redis.ConnectionFailed += h);
        await redis.StopAsync();
        await lost.WaitAsync(Timeout);
        var failure = await Record.ExceptionAsync(() => a.Main.Channels.PublishAsync(["feed"], "m", ["during"]).AsTask().WaitAsync(Timeout));

        var restoredA = Restored(busA);
        var restoredB = Restored(busB);
        await redis.StartAsync();
        await Task.WhenAll(restoredA, restoredB).WaitAsync(Timeout);
        var after = await a.Main.Channels.PublishAsync(["feed"], "m", ["after"]);

        Assert.IsType<Switchboard.Cluster.ClusterUnavailableException>(failure);
        // The live stream is told that its history is gone before the first publication of the new one.
        Assert.Equal("discontinuity", await onB.NextAsync());
        Assert.Equal("\"after\"", await onB.NextAsync());
        // Redis came back empty: a new history, which a reader of the old position is told about.
        Assert.Equal(1, after.Positions["feed"].Offset);
    }

    private Task<(SocketServer Server, RedisClusterBus Bus)> NodeAsync() =>
        _nodes.StartAsync(new RedisClusterOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) }, Timeout,
            configuration => configuration.ReconnectRetryPolicy = new LinearRetry(100));

    private static Task Restored(RedisClusterBus bus)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bus.Restored += (_, _) => done.TrySetResult();
        return done.Task;
    }

    private static Task Signal(Action<EventHandler<ConnectionFailedEventArgs>> subscribe)
    {
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe((_, e) => raised.TrySetResult());
        return raised.Task;
    }

    private sealed class Deliveries : IChannelSubscriber
    {
        private readonly System.Threading.Channels.Channel<string> _texts = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public string ConnectionId => "subscriber";

        public void Deliver(in ChannelEntry entry) => _texts.Writer.TryWrite(System.Text.Encoding.UTF8.GetString(entry.Publication.Data.Span));

        public void Discontinuity(string channel, StreamPosition top) => _texts.Writer.TryWrite("discontinuity");

        public async Task<string> NextAsync() => await _texts.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
    }
}
