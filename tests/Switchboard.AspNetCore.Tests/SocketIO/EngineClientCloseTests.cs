using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>
/// A WebSocket client that closes while the server's write to it is still under way: the write is not cut at
/// once (that would discard what is written but not yet sent, the close frame included, and the client would see
/// its connection reset instead of its close answered), but it is not waited for forever either
/// (<see cref="Engine.EngineSession.StuckWriteGrace"/>). Over Kestrel's WebSockets and the direct mode.
/// </summary>
public sealed class EngineClientCloseTests
{
    private const int HugeLength = 8 * 1024 * 1024;
    private const WebSocketCloseStatus ClientCode = (WebSocketCloseStatus)4001;

    private sealed class Server : IAsyncDisposable
    {
        public TaskCompletionSource<Socket> Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<DisconnectReason> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TestHost Host { get; set; } = null!;

        public long Taken => Host.Services.GetService<DirectEndpoints>()?.Taken ?? 0;

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    /// <summary>Socket.IO at <c>/socket.io</c>; <c>stall</c> marks the caller. No budget or send timeout cuts the test's write.</summary>
    private static async Task<Server> StartAsync(bool direct)
    {
        var server = new Server();
        server.Host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSwitchboard(o =>
                {
                    o.Engine.MaxQueuedBytes = 4L * HugeLength;
                    o.Engine.SendTimeout = TimeSpan.FromMinutes(5);
                });
                if (direct)
                {
                    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardWebSockets()));
                }
            },
            app => app.MapSocketIO("/socket.io", io => io.OnConnection(socket =>
            {
                socket.Disconnected += (s, reason) =>
                {
                    if (s.Data.ContainsKey("stalled"))
                    {
                        server.Disconnected.TrySetResult(reason);
                    }
                };
                socket.On("stall", e =>
                {
                    e.Socket.Data["stalled"] = true;
                    server.Stalled.TrySetResult(e.Socket);
                    e.Ack("ok");
                    return ValueTask.CompletedTask;
                });
            })));
        return server;
    }

    /// <summary>Sends the stalled client one message far larger than the network holds; returns once its write is under way.</summary>
    private static async Task<Socket> StartStuckWriteAsync(Server server)
    {
        var socket = await server.Stalled.Task.Within();
        socket.Emit("huge", new string('z', HugeLength));
        Assert.True(SpinWait.SpinUntil(() => socket.Connection.IsSending, Timeouts.Default), "the write to the stalled client never began");
        return socket;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_closes_during_a_write_gets_the_rest_and_its_close_answered(bool direct)
    {
        await using var server = await StartAsync(direct);
        using var client = await NonReadingWebSocket.ConnectStalledEngineAsync(server.Host.BaseAddress);
        Assert.Equal(direct ? 1 : 0, server.Taken);
        await StartStuckWriteAsync(server);

        await client.Socket.CloseOutputAsync(ClientCode, null, CancellationToken.None).Within();
        if (!direct)
        {
            // Kestrel's socket reports the client's close at once: the session closes while the write is stuck
            // (the direct socket answers the close first, and that answer waits for the write).
            Assert.Equal(DisconnectReason.TransportClose, await server.Disconnected.Task.Within());
        }

        // The client reads again: the whole message, then the server's close.
        var buffer = new byte[64 * 1024];
        long length = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await client.Socket.ReceiveAsync(buffer, CancellationToken.None).Within();
            length += result.MessageType == WebSocketMessageType.Text ? result.Count : 0;
        }
        while (result.MessageType != WebSocketMessageType.Close);
        Assert.True(length >= HugeLength, $"the client got {length} bytes of a message of {HugeLength}");
        // Kestrel's path closes with the server's 1000 (as Node's engine.io); the direct socket echoes the client's code.
        Assert.Equal(direct ? ClientCode : WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
        Assert.Equal(DisconnectReason.TransportClose, await server.Disconnected.Task.Within());
    }

    [Fact]
    public async Task A_client_that_closes_during_a_write_and_never_reads_again_is_dropped_after_the_grace()
    {
        await using var server = await StartAsync(direct: false);
        using var client = await NonReadingWebSocket.ConnectStalledEngineAsync(server.Host.BaseAddress);
        var socket = await StartStuckWriteAsync(server);

        await client.Socket.CloseOutputAsync(ClientCode, null, CancellationToken.None).Within();
        Assert.Equal(DisconnectReason.TransportClose, await server.Disconnected.Task.Within());

        // Nothing was read, so the write cannot have finished: it ends because the connection was dropped.
        Assert.True(SpinWait.SpinUntil(() => !socket.Connection.IsSending, Timeouts.Default), "the stuck write outlived the grace");
    }
}
