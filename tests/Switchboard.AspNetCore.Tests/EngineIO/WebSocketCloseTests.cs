using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>The server's close handshake on a WebSocket, timed by the server's clock, which the test moves.</summary>
public sealed class WebSocketCloseTests : IAsyncLifetime
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(2);

    private readonly ManualTimeProvider _time = new();
    private readonly TaskCompletionSource<EngineSession> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _webSocketEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSingleton<TimeProvider>(_time),
            app =>
            {
                app.UseWebSockets();
                app.Use(async (context, next) =>
                {
                    var webSocket = context.WebSockets.IsWebSocketRequest;
                    await next(context);
                    if (webSocket)
                    {
                        _webSocketEnded.TrySetResult();
                    }
                });
                app.MapEngineIO("/engine.io", session => _opened.TrySetResult(session));
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_client_that_does_not_answer_the_close_is_dropped_after_the_grace_period_on_the_server_clock()
    {
        using var client = new ClientWebSocket();
        await client.ConnectAsync(EngineWebSocketClient.Url(_host.BaseAddress, "/engine.io"), CancellationToken.None).WaitAsync(Timeouts.Default);
        var buffer = new byte[1024];
        var open = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeouts.Default);
        Assert.Equal((byte)'0', buffer[0]);
        Assert.True(open.EndOfMessage);
        var session = await _opened.Task.Within();

        // Two timers of that length start on the server's clock: the close frame's send timeout, then
        // the grace period the client has to answer it.
        var graceStarted = _time.WhenScheduled(GracePeriod, occurrences: 2);
        session.Close(DisconnectCode.Disconnected);
        var close = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeouts.Default);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
        // The client does not answer; the server waits on its own clock, not on the real one.
        await graceStarted.Within();
        Assert.False(_webSocketEnded.Task.IsCompleted);

        _time.Jump(GracePeriod);

        await _webSocketEnded.Task.Within();
    }
}
