using System.Text;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

/// <summary>
/// A channel connection's byte budget and what happens past it, per channel pattern: disconnect,
/// drop-oldest (one discontinuity in place of what was dropped), latest-per-key (conflation).
/// </summary>
public sealed class SlowConsumerPolicyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string Pad = new('x', 1000);

    private sealed class Connection(ChannelHub hub) : ChannelConnection(hub, "test", ChannelGrant.All);

    private static SocketServer Server(Action<ChannelOptions> configure)
    {
        var options = new SocketServerOptions();
        configure(options.Channels);
        return new SocketServer(options);
    }

    private static List<ChannelMessage> Drain(ChannelConnection connection)
    {
        var messages = new List<ChannelMessage>();
        while (connection.TryTake(out var message))
        {
            messages.Add(message);
        }
        return messages;
    }

    private static async Task PublishAsync(ChannelHub hub, string channel, object data) =>
        await hub.PublishAsync([channel], "e", [data]).AsTask().WaitAsync(Timeout);

    [Fact]
    public async Task Past_its_budget_a_connection_is_disconnected_as_a_slow_consumer_and_its_queue_released()
    {
        using var server = Server(o => o.MaxQueuedBytes = 10_000);
        var hub = server.Of("/").Channels;
        await using var connection = new Connection(hub);
        await connection.SubscribeAsync("room").AsTask().WaitAsync(Timeout);

        for (var i = 0; i < 20; i++)
        {
            await PublishAsync(hub, "room", new { i, pad = Pad });
        }

        Assert.True(connection.IsClosed);
        Assert.Equal(0, connection.QueuedBytes);
        var messages = Drain(connection);
        var close = Assert.Single(messages);
        Assert.Equal(ChannelMessageKind.Close, close.Kind);
        Assert.Equal(DisconnectCode.SlowConsumer, close.Code);
        Assert.Equal("slow consumer", close.Reason);
    }

    [Fact]
    public async Task Drop_oldest_replaces_what_waited_by_one_discontinuity_and_goes_on_with_the_newest()
    {
        using var server = Server(o =>
        {
            o.MaxQueuedBytes = 10_000;
            o.SlowConsumers.Add(new SlowConsumerRule { Pattern = "ticks.*", Policy = SlowConsumerPolicy.DropOldest });
        });
        var hub = server.Of("/").Channels;
        await using var connection = new Connection(hub);
        await connection.SubscribeAsync("ticks.a").AsTask().WaitAsync(Timeout);

        for (var i = 1; i <= 25; i++)
        {
            await PublishAsync(hub, "ticks.a", new { i, pad = Pad });
        }

        Assert.False(connection.IsClosed);
        Assert.InRange(connection.QueuedBytes, 1, 10_000 + 1100);
        var messages = Drain(connection);
        // Each time the budget was reached, what waited became one discontinuity at the last dropped offset.
        long expected = 1;
        var discontinuities = 0;
        foreach (var message in messages)
        {
            if (message.Kind == ChannelMessageKind.Discontinuity)
            {
                discontinuities++;
                Assert.True(message.Top.Offset >= expected, $"discontinuity at {message.Top.Offset}, expected at least {expected}");
                expected = message.Top.Offset + 1;
            }
            else
            {
                Assert.Equal(ChannelMessageKind.Publication, message.Kind);
                Assert.Equal(expected, message.Entry.Offset);
                expected++;
            }
        }
        Assert.True(discontinuities > 0);
        Assert.Equal(26, expected);
        Assert.Equal(ChannelMessageKind.Publication, messages[^1].Kind);
    }

    [Fact]
    public async Task Latest_per_key_keeps_only_the_newest_waiting_publication_of_each_key_in_order()
    {
        using var server = Server(o => o.SlowConsumers.Add(new SlowConsumerRule { Pattern = "cursors.*", Policy = SlowConsumerPolicy.LatestPerKey, Key = "id" }));
        var hub = server.Of("/").Channels;
        await using var connection = new Connection(hub);
        await connection.SubscribeAsync("cursors.doc").AsTask().WaitAsync(Timeout);

        // The client lags (nothing is taken) while three participants move many times.
        for (var step = 1; step <= 50; step++)
        {
            foreach (var id in new[] { "ann", "bob", "cy" })
            {
                await PublishAsync(hub, "cursors.doc", new { id, x = step });
            }
        }

        var messages = Drain(connection);
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal(ChannelMessageKind.Publication, m.Kind));
        Assert.All(messages, m => Assert.Null(m.Key));
        var latest = messages.Select(m => Encoding.UTF8.GetString(m.Entry.Publication.Data.Span)).ToList();
        Assert.Equal(["""{"id":"ann","x":50}""", """{"id":"bob","x":50}""", """{"id":"cy","x":50}"""], latest);

        // Once taken, the next one of a key waits again on its own.
        await PublishAsync(hub, "cursors.doc", new { id = "bob", x = 51 });
        var next = Assert.Single(Drain(connection));
        Assert.Equal("""{"id":"bob","x":51}""", Encoding.UTF8.GetString(next.Entry.Publication.Data.Span));
    }

    [Fact]
    public async Task A_replay_on_subscribe_is_owed_and_never_counts_against_the_budget()
    {
        using var server = Server(o => o.MaxQueuedBytes = 5_000);
        var hub = server.Of("/").Channels;
        for (var i = 0; i < 20; i++)
        {
            await PublishAsync(hub, "history", new { i, pad = Pad });
        }
        await using var connection = new Connection(hub);

        var top = await hub.Store.GetPositionAsync("/", "history").AsTask().WaitAsync(Timeout);
        await connection.SubscribeAsync("history", new StreamPosition(0, top.Epoch)).AsTask().WaitAsync(Timeout);

        Assert.False(connection.IsClosed);
        Assert.Equal(20, Drain(connection).Count(m => m.Kind == ChannelMessageKind.Publication));
    }
}
