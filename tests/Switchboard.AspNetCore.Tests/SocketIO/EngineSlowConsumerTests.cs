using Microsoft.AspNetCore.Builder;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.SocketIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>
/// A Socket.IO client over WebSocket that stops reading costs at most its byte budget, and is gone
/// within the send time limit; a reading client in the same room receives everything.
/// </summary>
public sealed class EngineSlowConsumerTests : IAsyncLifetime
{
    private const long Budget = 256 * 1024;
    private static readonly TimeSpan SendTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly string Big = new('x', 20_000);

    private readonly TaskCompletionSource<(Socket Socket, DisconnectReason Reason)> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestHost _host = null!;
    private SocketServer _io = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(options =>
            {
                options.Engine.MaxQueuedBytes = Budget;
                options.Engine.SendTimeout = SendTimeout;
            }),
            app => app.MapSocketIO("/socket.io", io =>
            {
                _io = io;
                io.OnConnection(socket =>
                {
                    socket.Join("flood");
                    socket.Disconnected += (s, reason) =>
                    {
                        if (s.Data.ContainsKey("stalled"))
                        {
                            _disconnected.TrySetResult((s, reason));
                        }
                    };
                    socket.On("stall", e =>
                    {
                        e.Socket.Data["stalled"] = true;
                        e.Ack("ok");
                        return ValueTask.CompletedTask;
                    });
                });
            }));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_client_that_stops_reading_is_cut_at_its_byte_budget_and_a_reading_client_gets_everything()
    {
        await using var reader = await SocketIOTestClient.OpenAsync(_host);
        await reader.JoinAsync();
        using var stalled = await NonReadingWebSocket.ConnectStalledEngineAsync(_host.BaseAddress);

        // 20 KB to the room, each once the reading client has the one before (a burst emitted faster
        // than any socket drains would pass a reader's budget too), until the stalled client's network
        // buffers (a few MB, depending on the machine) and its budget of 256 KB are full: at most 2,000.
        for (var i = 1; i <= 2000 && !_disconnected.Task.IsCompleted; i++)
        {
            await _io.To("flood").EmitAsync("big", i, Big).Within();
            var text = await reader.ReceiveTextAsync();
            while (text == "2")
            {
                await reader.SendAsync("3");
                text = await reader.ReceiveTextAsync();
            }
            Assert.StartsWith($"42[\"big\",{i},", text);
        }

        var (socket, reason) = await _disconnected.Task.Within();
        Assert.Equal(DisconnectReason.SlowConsumer, reason);
        Assert.Equal(DisconnectCode.SlowConsumer, socket.Connection.CloseCode);
        // Its queue was released at once, and it left the server's sessions.
        Assert.Equal(0, socket.Connection.Outbound.QueuedBytes);
        Assert.Null(_io.Engine.Find(socket.Connection.Id));
    }

    [Fact]
    public async Task A_write_that_takes_longer_than_the_send_timeout_drops_the_connection()
    {
        using var stalled = await NonReadingWebSocket.ConnectStalledEngineAsync(_host.BaseAddress);
        var started = DateTime.UtcNow;

        // One message larger than the budget is still sent when nothing else waits; many of them keep
        // the writer busy on a socket that does not drain: only the send time limit can end it.
        var huge = new string('y', 2 * (int)Budget);
        for (var i = 0; i < 30 && !_disconnected.Task.IsCompleted; i++)
        {
            await _io.To("flood").EmitAsync("huge", huge).Within();
            await Task.WhenAny(_disconnected.Task, Task.Delay(50));
        }

        var (socket, reason) = await _disconnected.Task.Within();
        Assert.Equal(DisconnectReason.SlowConsumer, reason);
        Assert.Null(_io.Engine.Find(socket.Connection.Id));
        var closed = await stalled.ReceiveUntilClosedAsync();
        Assert.True(closed, "the stalled client's connection was not dropped");
    }
}
