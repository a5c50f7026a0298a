using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Drain;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Drain;

/// <summary>The paced drain when the host stops (docs/drain.md).</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task A_handshake_during_the_drain_is_refused_with_503_shutting_down_and_open_sessions_close_spread_over_the_window()
    {
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(o => o.Drain.Window = TimeSpan.FromSeconds(2)),
            app => app.MapSocketIO(),
            shutdownTimeout: TimeSpan.FromSeconds(8));
        var clients = new List<EngineWebSocketClient>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await EngineWebSocketClient.ConnectAsync(host.BaseAddress, "/socket.io", autoPong: true));
        }
        var started = Stopwatch.GetTimestamp();
        var closedAt = clients.Select(async c => (Status: await c.Closed, At: Stopwatch.GetElapsedTime(started))).ToList();

        var stopping = host.StopAsync();
        // The first session is closed as the drain begins; from then on handshakes are refused.
        await Task.WhenAny(closedAt).Unwrap().Within();
        Assert.True(host.Services.GetRequiredService<ConnectionDrain>().IsDraining);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var refused = await http.GetAsync("socket.io/?EIO=4&transport=polling").Within();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal(3, body.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("shutting_down", body.RootElement.GetProperty("message").GetString());
        var closes = await Task.WhenAll(closedAt).Within();
        Assert.All(closes, c => Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, c.Status));
        // Three sessions over 2 s: closed at about 0, 0.67 and 1.33 s.
        var spread = closes.Max(c => c.At) - closes.Min(c => c.At);
        Assert.True(spread >= TimeSpan.FromSeconds(1), $"The closes were {spread.TotalMilliseconds} ms apart.");
        // Within the window, with a second's slack for a loaded machine.
        Assert.True(spread < TimeSpan.FromSeconds(3), $"The closes were {spread.TotalMilliseconds} ms apart, well past the 2 s window.");
        await stopping.Within();
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_window_longer_than_the_shutdown_timeout_allows_is_cut_to_three_quarters_of_it()
    {
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(o => o.Drain.Window = TimeSpan.FromSeconds(30)),
            app => app.MapChannelWebSocket("/ws"),
            shutdownTimeout: TimeSpan.FromSeconds(2));
        var sockets = new List<ClientWebSocket>();
        for (var i = 0; i < 2; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(new UriBuilder(host.BaseAddress) { Scheme = "ws" }.Uri, "ws"), CancellationToken.None).Within();
            sockets.Add(socket);
        }
        var closes = sockets.Select(ReadUntilClosedAsync).ToList();
        var started = Stopwatch.GetTimestamp();

        await host.StopAsync().Within();

        // Two connections over 1.5 s: the second is closed after 0.75 s, and the host stops within its timeout.
        var elapsed = Stopwatch.GetElapsedTime(started);
        // Far below the 30 s window, and within the host's 2 s shutdown timeout.
        Assert.True(elapsed >= TimeSpan.FromSeconds(0.7) && elapsed < TimeSpan.FromSeconds(2), $"The host stopped after {elapsed.TotalMilliseconds} ms.");
        foreach (var (status, description) in await Task.WhenAll(closes).Within())
        {
            Assert.Equal((WebSocketCloseStatus.EndpointUnavailable, "shutdown"), (status, description));
        }
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
        host.Logs.AssertNoErrors();
    }

    /// <summary>Reads until the server's close, answers it (completing the close handshake), and returns its status.</summary>
    private static async Task<(WebSocketCloseStatus? Status, string? Description)> ReadUntilClosedAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
        {
        }
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        return (socket.CloseStatus, socket.CloseStatusDescription);
    }
}
