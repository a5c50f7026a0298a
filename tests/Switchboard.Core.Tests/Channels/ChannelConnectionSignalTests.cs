using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

/// <summary>A transport's own wake-ups (<see cref="ChannelConnection.Signal"/>): what SSE waits for instead of a token and a timer task.</summary>
public sealed class ChannelConnectionSignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed class Connection(ChannelHub hub) : ChannelConnection(hub, "test", ChannelGrant.All);

    [Fact]
    public async Task A_signal_wakes_a_waiting_reader_and_signals_before_it_is_taken_are_one_message()
    {
        using var server = new SocketServer(new SocketServerOptions());
        await using var connection = new Connection(server.Of("/").Channels);
        var waiting = connection.WaitAsync();
        Assert.False(waiting.IsCompleted);

        connection.Signal();
        connection.Signal();

        Assert.True(await waiting.AsTask().WaitAsync(Timeout));
        Assert.True(connection.TryTake(out var message));
        Assert.Equal(ChannelMessageKind.Signal, message.Kind);
        Assert.False(connection.TryTake(out _));

        // Once taken, the next signal is a new message.
        connection.Signal();
        Assert.True(connection.TryTake(out message));
        Assert.Equal(ChannelMessageKind.Signal, message.Kind);
    }

    [Fact]
    public async Task Signals_do_not_count_towards_the_slow_consumer_limit()
    {
        using var server = new SocketServer(new SocketServerOptions());
        var hub = server.Of("/").Channels;
        await using var connection = new Connection(hub) { MaxQueued = 2 };
        await connection.SubscribeAsync("room").AsTask().WaitAsync(Timeout);

        connection.Signal();
        await hub.PublishAsync(["room"], "a", [1]).AsTask().WaitAsync(Timeout);
        await hub.PublishAsync(["room"], "b", [2]).AsTask().WaitAsync(Timeout);

        Assert.False(connection.IsClosed);
        var kinds = new List<ChannelMessageKind>();
        while (connection.TryTake(out var message))
        {
            kinds.Add(message.Kind);
        }
        Assert.Equal([ChannelMessageKind.Signal, ChannelMessageKind.Publication, ChannelMessageKind.Publication], kinds);
    }

    [Fact]
    public async Task A_signal_after_the_connection_closed_queues_nothing()
    {
        using var server = new SocketServer(new SocketServerOptions());
        await using var connection = new Connection(server.Of("/").Channels);
        connection.Disconnect("bye");

        connection.Signal();

        Assert.True(connection.TryTake(out var close));
        Assert.Equal(ChannelMessageKind.Close, close.Kind);
        Assert.False(connection.TryTake(out _));
        Assert.False(await connection.WaitAsync().AsTask().WaitAsync(Timeout));
    }
}
