using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests;

/// <summary>The heartbeat and malformed input, against a <see cref="ScriptedServer"/>.</summary>
public sealed class HeartbeatAndBadInputTests
{
    private static async Task<(SocketIOClient Client, ClientSocket Socket, Task<DisconnectReason> Disconnected)> ConnectAsync(ScriptedServer server, ILogger? logger = null)
    {
        var client = new SocketIOClient(server.Uri, new SocketIOClientOptions { Reconnection = false, Logger = logger ?? new ListLogger() });
        var socket = client.Socket();
        var disconnected = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += r => disconnected.TrySetResult(r);
        await socket.ConnectAsync().Within();
        return (client, socket, disconnected.Task);
    }

    [Fact]
    public async Task The_client_answers_every_ping_and_stays_connected_past_the_deadline()
    {
        await using var server = await ScriptedServer.StartAsync(async (ws, self) =>
        {
            // Ten pings 100 ms apart (1 s, past the 600 ms deadline: the client would be gone without
            // them), each answered before the next.
            for (var i = 0; i < 10; i++)
            {
                await Task.Delay(100);
                await ScriptedServer.SendAsync(ws, "2");
                if (await self.ReceiveAsync(ws) != "3")
                {
                    return;
                }
            }
            await ScriptedServer.SendAsync(ws, """42["pongs",10]""");
        }, pingIntervalMs: 300, pingTimeoutMs: 300);
        var (client, socket, disconnected) = await ConnectAsync(server);
        await using var _ = client;
        var pongs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On<int>("pongs", n => pongs.TrySetResult(n));

        Assert.Equal(10, await pongs.Task.Within());
        Assert.False(disconnected.IsCompleted, "the heartbeat deadline moves on every ping");
        Assert.True(socket.IsConnected);
    }

    [Fact]
    public async Task A_server_that_stops_pinging_is_gone_after_interval_plus_timeout()
    {
        await using var server = await ScriptedServer.StartAsync((_, _) => Task.CompletedTask);
        var started = DateTime.UtcNow;
        var (client, socket, disconnected) = await ConnectAsync(server);
        await using var _ = client;

        Assert.Equal(DisconnectReason.PingTimeout, await disconnected.Within());
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(190), "not before ping interval + ping timeout");
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
        var (client, socket, disconnected) = await ConnectAsync(server, logger);
        await using var _ = client;

        Assert.Equal(DisconnectReason.ParseError, await disconnected.Within());
        Assert.False(socket.IsConnected);
        lock (logger.Lines)
        {
            Assert.Contains(logger.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("could not be parsed", StringComparison.Ordinal));
        }
    }
}
