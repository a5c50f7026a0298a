using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests;

/// <summary>The heartbeat and malformed input, against a <see cref="ScriptedServer"/>.</summary>
public sealed class HeartbeatAndBadInputTests
{
    private static async Task<(SocketIOClient Client, ClientSocket Socket, Task<DisconnectReason> Disconnected)> ConnectAsync(ScriptedServer server, ILogger? logger = null, TimeProvider? time = null)
    {
        var client = new SocketIOClient(server.Uri, new SocketIOClientOptions { Reconnection = false, Logger = logger ?? new ListLogger(), TimeProvider = time ?? TimeProvider.System });
        var socket = client.Socket();
        var disconnected = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += r => disconnected.TrySetResult(r);
        await socket.ConnectAsync().Within();
        return (client, socket, disconnected.Task);
    }

    [Fact]
    public async Task The_client_answers_pings_and_each_ping_moves_the_deadline_on_a_fake_clock()
    {
        var pingRequests = Channel.CreateUnbounded<bool>();
        var pongs = Channel.CreateUnbounded<string?>();
        await using var server = await ScriptedServer.StartAsync(async (ws, self) =>
        {
            await foreach (var _ in pingRequests.Reader.ReadAllAsync())
            {
                await ScriptedServer.SendAsync(ws, "2");
                await pongs.Writer.WriteAsync(await self.ReceiveAsync(ws));
            }
        });
        var time = new FakeTimeProvider();
        var (client, socket, disconnected) = await ConnectAsync(server, time: time);
        await using var _ = client;

        // The deadline is ping interval + ping timeout = 200 ms. Five pings 150 ms apart: 750 ms in all.
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(150));
            Assert.True(pingRequests.Writer.TryWrite(true));
            // The pong leaves after the client moved its deadline, so once it is here the deadline moved.
            Assert.Equal("3", await pongs.Reader.ReadAsync().AsTask().Within());
        }
        Assert.False(disconnected.IsCompleted, "every ping moves the deadline");
        Assert.True(socket.IsConnected);

        // Then silence: gone exactly at interval + timeout after the last ping.
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(disconnected.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(DisconnectReason.PingTimeout, await disconnected.Within());
        pingRequests.Writer.TryComplete();
    }

    [Fact]
    public async Task A_server_that_never_pings_is_gone_after_interval_plus_timeout_on_a_fake_clock()
    {
        await using var server = await ScriptedServer.StartAsync((_, _) => Task.CompletedTask);
        var time = new FakeTimeProvider();
        var (client, socket, disconnected) = await ConnectAsync(server, time: time);
        await using var _ = client;

        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(disconnected.IsCompleted, "not before ping interval + ping timeout");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(DisconnectReason.PingTimeout, await disconnected.Within());
        Assert.False(socket.IsConnected);
    }

    [Theory]
    [InlineData("text", "4Z not a packet")] // an unknown Socket.IO packet type
    [InlineData("text", "9")] // an unknown Engine.IO packet type
    [InlineData("text", """42["connect"]""")] // a reserved event name
    [InlineData("text", """42["e",""")] // truncated JSON
    [InlineData("binary", "")] // an attachment no packet announced
    public async Task Malformed_input_closes_the_connection_as_a_parse_error_with_a_log_line(string kind, string message)
    {
        await using var server = await ScriptedServer.StartAsync(async (ws, _) =>
        {
            if (kind == "binary")
            {
                await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
            else
            {
                await ScriptedServer.SendAsync(ws, message);
            }
        });
        var logger = new ListLogger();
        // A fake clock that never moves: the 200 ms heartbeat cannot end the connection first on a loaded machine.
        var (client, socket, disconnected) = await ConnectAsync(server, logger, new FakeTimeProvider());
        await using var _ = client;

        Assert.Equal(DisconnectReason.ParseError, await disconnected.Within());
        Assert.False(socket.IsConnected);
        lock (logger.Lines)
        {
            Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("could not be parsed", StringComparison.Ordinal));
        }
    }
}
