using System.Text;
using StackExchange.Redis;
using Switchboard.Channels;

namespace Switchboard.Redis.Tests;

/// <summary>Redis going away and coming back, with the store's connection defaults (<see cref="RedisChannelStore.ParseConfiguration"/>).</summary>
public sealed class RedisOutageTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly HistoryPolicy Policy = new();

    [Fact]
    public async Task Appends_fail_loudly_while_redis_is_down_and_work_again_after_it_restarts()
    {
        var configuration = RedisChannelStore.ParseConfiguration(redis.Endpoint);
        configuration.ReconnectRetryPolicy = new LinearRetry(100);
        await using var store = RedisChannelStore.Connect(configuration);
        var before = await store.AppendAsync("/", "room", Publish(1), Policy);
        var lost = Signal(handler => store.Redis.ConnectionFailed += handler);

        await redis.StopAsync();
        await lost.WaitAsync(Timeout);
        var failure = await Record.ExceptionAsync(() => store.AppendAsync("/", "room", Publish(2), Policy).AsTask().WaitAsync(Timeout));

        var restored = Signal(handler => store.Redis.ConnectionRestored += handler);
        await redis.StartAsync();
        await restored.WaitAsync(Timeout);
        var after = await store.AppendAsync("/", "room", Publish(3), Policy);
        var resumed = await store.ReadAsync("/", "room", before, 10);

        Assert.IsType<RedisConnectionException>(failure);
        // The restarted server kept nothing (no persistence): a new epoch, so the old position is gone.
        Assert.Equal(1, after.Offset);
        Assert.NotEqual(before.Epoch, after.Epoch);
        Assert.False(resumed.Continuous);
    }

    [Fact]
    public async Task A_store_started_while_redis_is_unreachable_starts_and_fails_its_appends()
    {
        var nobody = RedisServer.FreePort();

        await using var store = RedisChannelStore.Connect($"127.0.0.1:{nobody},connectTimeout=1000");
        var failure = await Record.ExceptionAsync(() => store.AppendAsync("/", "room", Publish(1), Policy).AsTask().WaitAsync(Timeout));

        Assert.False(store.Redis.IsConnected);
        Assert.IsType<RedisConnectionException>(failure);
    }

    /// <summary>A task completed by the first event of the interactive connection.</summary>
    private static Task Signal(Action<EventHandler<ConnectionFailedEventArgs>> subscribe)
    {
        var raised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe((_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                raised.TrySetResult();
            }
        });
        return raised.Task;
    }

    private static Publication Publish(long seq) =>
        Publication.FromStored(seq, "message", Encoding.UTF8.GetBytes($"[{seq}]"), [], null, DateTimeOffset.UtcNow);
}
