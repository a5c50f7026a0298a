using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Limits;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Limits;

/// <summary>
/// The connection limits on real wires (docs/protection.md): one <see cref="ConnectionLimiter"/> in front
/// of the Engine.IO handshake (polling and WebSocket), SSE, long-poll and the plain WebSocket endpoint.
/// Every test connects from 127.0.0.1, so the per-address limits apply to all its connections.
/// </summary>
public sealed class ConnectionLimitTests
{
    private static Task<TestHost> StartAsync(Action<LimitOptions> limits) => TestHost.StartAsync(
        builder => builder.Services.AddSwitchboard(options => limits(options.Limits)),
        app =>
        {
            app.MapSocketIO();
            app.MapServerSentEvents("/sse");
            app.MapLongPoll("/poll");
            app.MapChannelWebSocket("/ws");
        });

    private static async Task AssertEngineRefusalAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within());
        Assert.Equal(3, body.RootElement.GetProperty("code").GetInt32());
        Assert.Equal(code, body.RootElement.GetProperty("message").GetString());
    }

    private static async Task AssertChannelRefusalAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within());
        Assert.Equal(code, body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Past_the_per_address_limit_every_protocol_is_refused_and_open_connections_go_on()
    {
        await using var host = await StartAsync(l => l.MaxConnectionsPerIp = 2);
        var limiter = host.Services.GetRequiredService<ConnectionLimiter>();
        using var polling = new EnginePollingClient(host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        var (ws, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _ws = ws;
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var engine = await http.GetAsync("/socket.io/?EIO=4&transport=polling").Within();
        using var sse = await http.GetAsync("/sse?channel=a").Within();
        using var poll = await http.GetAsync("/poll?channel=a&timeout=0").Within();
        var plainWs = new ClientWebSocket();
        var plain = await Assert.ThrowsAnyAsync<WebSocketException>(() => plainWs.ConnectAsync(new Uri(host.BaseAddress.ToString().Replace("http", "ws") + "ws"), CancellationToken.None).Within());

        await AssertEngineRefusalAsync(engine, HttpStatusCode.TooManyRequests, "too_many_connections_per_ip");
        await AssertChannelRefusalAsync(sse, HttpStatusCode.TooManyRequests, "too_many_connections_per_ip");
        await AssertChannelRefusalAsync(poll, HttpStatusCode.TooManyRequests, "too_many_connections_per_ip");
        Assert.Contains("429", plain.Message);
        Assert.Equal(4, limiter.Refused(Admission.TooManyConnectionsPerIp));

        // The two open connections are undisturbed.
        await polling.PostAsync("40");
        Assert.StartsWith("40{\"sid\":", Assert.Single(await polling.PollAsync()));
        await ws.SendAsync("41");
        await ws.JoinAsync();
        Assert.Equal(WebSocketState.Open, ws.Engine.State);
        Assert.Equal(2, limiter.Connections);
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_polling_session_holds_its_slot_until_it_closes_and_a_websocket_until_it_ends()
    {
        await using var host = await StartAsync(l => l.MaxConnectionsPerIp = 1);
        var limiter = host.Services.GetRequiredService<ConnectionLimiter>();
        using var polling = new EnginePollingClient(host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using (var refused = await http.GetAsync("/socket.io/?EIO=4&transport=polling").Within())
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        await polling.PostAsync("1");
        await WaitUntilAsync(() => limiter.Connections == 0);
        var ws = await SocketIOTestClient.OpenAsync(host);
        Assert.Equal(1, limiter.Connections);
        await ws.Engine.CloseAsync();
        await ws.DisposeAsync();
        await WaitUntilAsync(() => limiter.Connections == 0);

        using var again = new EnginePollingClient(host.BaseAddress, "/socket.io");
        await again.HandshakeAsync();
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Past_the_total_limit_a_handshake_gets_503_too_many_connections()
    {
        await using var host = await StartAsync(l => l.MaxConnections = 1);
        var (ws, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _ws = ws;
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var engine = await http.GetAsync("/socket.io/?EIO=4&transport=polling").Within();
        using var sse = await http.GetAsync("/sse?channel=a").Within();

        await AssertEngineRefusalAsync(engine, HttpStatusCode.ServiceUnavailable, "too_many_connections");
        await AssertChannelRefusalAsync(sse, HttpStatusCode.ServiceUnavailable, "too_many_connections");
        Assert.Equal("10", engine.Headers.RetryAfter!.ToString());
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Handshakes_faster_than_the_rate_get_429_rate_limited()
    {
        await using var host = await StartAsync(l =>
        {
            l.HandshakesPerSecondPerIp = 0.01;
            l.HandshakeBurstPerIp = 3;
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await http.GetAsync("/poll?channel=a&timeout=0").Within();
            statuses.Add(ok.StatusCode);
        }

        using var refused = await http.GetAsync("/socket.io/?EIO=4&transport=polling").Within();

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await AssertEngineRefusalAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal("1", refused.Headers.RetryAfter!.ToString());
        Assert.Equal(1, host.Services.GetRequiredService<ConnectionLimiter>().Refused(Admission.RateLimited));
    }

    [Fact]
    public async Task A_long_poll_with_a_cursor_takes_no_handshake_token()
    {
        await using var host = await StartAsync(l =>
        {
            l.HandshakesPerSecondPerIp = 0.01;
            l.HandshakeBurstPerIp = 1;
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var first = await http.GetAsync("/poll?channel=a&timeout=0").Within();
        using var answer = JsonDocument.Parse(await first.Content.ReadAsStringAsync().Within());
        var cursor = Uri.EscapeDataString(answer.RootElement.GetProperty("cursor").GetString()!);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var next = await http.GetAsync($"/poll?channel=a&timeout=0&cursor={cursor}").Within();
            statuses.Add(next.StatusCode);
        }
        using var fresh = await http.GetAsync("/poll?channel=a&timeout=0").Within();

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        await AssertChannelRefusalAsync(fresh, HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Fact]
    public void Addresses_are_counted_by_ipv4_and_by_ipv6_prefix()
    {
        Assert.Equal(IPAddress.Parse("10.1.2.3"), ConnectionLimiter.Key(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.Equal(ConnectionLimiter.Key(IPAddress.Parse("2001:db8:1:2::1")), ConnectionLimiter.Key(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.NotEqual(ConnectionLimiter.Key(IPAddress.Parse("2001:db8:1:2::1")), ConnectionLimiter.Key(IPAddress.Parse("2001:db8:1:3::1")));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeouts.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
