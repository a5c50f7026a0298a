using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// Bare Engine.IO endpoints for v3 clients and the handshake cookie: <c>/v3</c> allows EIO=3 (ping
/// interval 100 ms, timeout 400 ms) and echoes messages; <c>/cookie</c> sets the default cookie,
/// <c>/cookie-custom</c> one with every attribute changed, <c>/plain</c> none.
/// </summary>
public sealed class EngineV3Fixture : IAsyncLifetime
{
    public static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan PingTimeout = TimeSpan.FromMilliseconds(400);

    public TestHost Host { get; private set; } = null!;

    public ConcurrentDictionary<string, TaskCompletionSource<DisconnectCode>> Closed { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, EngineSession> Sessions { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            _ => { },
            app =>
            {
                app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
                app.MapEngineIO("/v3", OnConnection, o =>
                {
                    o.AllowEIO3 = true;
                    o.PingInterval = PingInterval;
                    o.PingTimeout = PingTimeout;
                });
                app.MapEngineIO("/cookie", OnConnection, o => o.Cookie = new EngineCookieOptions());
                app.MapEngineIO("/cookie-custom", OnConnection, o => o.Cookie = new EngineCookieOptions
                {
                    Name = "lb",
                    Path = "/app",
                    Domain = "example.test",
                    HttpOnly = false,
                    Secure = true,
                    SameSite = EngineCookieSameSite.Strict,
                    MaxAge = TimeSpan.FromHours(1),
                });
                app.MapEngineIO("/plain", OnConnection);
            });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    private void OnConnection(EngineSession session)
    {
        var closed = new TaskCompletionSource<DisconnectCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        Closed[session.Id] = closed;
        Sessions[session.Id] = session;
        session.Handler = new Echo(closed);
    }

    private sealed class Echo(TaskCompletionSource<DisconnectCode> closed) : IEngineSessionHandler
    {
        public void OnMessage(EngineSession session, EnginePacket packet)
        {
            if (packet.IsBinary)
            {
                session.SendBinary(packet.Data.ToArray());
            }
            else
            {
                session.SendText(packet.Data.Span);
            }
        }

        public void OnClose(EngineSession session, DisconnectCode reason) => closed.TrySetResult(reason);
    }
}

public sealed class EngineV3Tests(EngineV3Fixture fixture) : IClassFixture<EngineV3Fixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.BaseAddress };

    public void Dispose()
    {
        _http.Dispose();
        fixture.Host.Logs.AssertNoErrors();
    }

    private async Task<(ClientWebSocket Socket, string Sid)> OpenWebSocketAsync(string path, string query = "EIO=3&transport=websocket")
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var url = new UriBuilder(new Uri(fixture.Host.BaseAddress, path.Trim('/') + "/")) { Scheme = "ws", Query = query }.Uri;
        await socket.ConnectAsync(url, CancellationToken.None).Within();
        var open = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, open.Type);
        using var json = JsonDocument.Parse(open.Data.AsMemory(1));
        return (socket, json.RootElement.GetProperty("sid").GetString()!);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).AsTask().Within();
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer[..length]);
            }
        }
    }

    private static Task SendTextAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).Within();

    [Fact]
    public async Task WebSocket_answers_the_client_ping_with_a_pong_and_frames_binary_with_its_type_byte()
    {
        var (socket, sid) = await OpenWebSocketAsync("/v3");
        using var _ = socket;

        await SendTextAsync(socket, "2");
        Assert.Equal("3", Encoding.UTF8.GetString((await ReceiveAsync(socket)).Data));

        await socket.SendAsync(new byte[] { 4, 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None).Within();
        var echoed = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, echoed.Type);
        Assert.Equal(new byte[] { 4, 1, 2, 3 }, echoed.Data);

        await SendTextAsync(socket, "b4CQk=");
        echoed = await ReceiveAsync(socket);
        Assert.Equal(new byte[] { 4, 9, 9 }, echoed.Data);
        Assert.Equal(3, fixture.Sessions[sid].Protocol);
    }

    [Fact]
    public async Task WebSocket_with_b64_gets_binary_messages_as_base64_text()
    {
        var (socket, _) = await OpenWebSocketAsync("/v3", "EIO=3&transport=websocket&b64=1");
        using var __ = socket;

        await socket.SendAsync(new byte[] { 4, 9, 9 }, WebSocketMessageType.Binary, true, CancellationToken.None).Within();

        var echoed = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, echoed.Type);
        Assert.Equal("b4CQk=", Encoding.UTF8.GetString(echoed.Data));
    }

    [Fact]
    public async Task The_server_never_pings_and_drops_a_silent_client_after_interval_and_timeout()
    {
        var started = TimeProvider.System.GetTimestamp();
        var (socket, sid) = await OpenWebSocketAsync("/v3");
        using var _ = socket;

        // The first thing the client gets after the open packet is the end of the connection, not a ping.
        var buffer = new byte[16];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).Within();

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(DisconnectCode.PingTimeout, await fixture.Closed[sid].Task.Within());
        Assert.True(TimeProvider.System.GetElapsedTime(started) >= EngineV3Fixture.PingInterval + EngineV3Fixture.PingTimeout - TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task Client_pings_keep_the_session_alive_past_the_heartbeat_deadline()
    {
        var (socket, sid) = await OpenWebSocketAsync("/v3");
        using var _ = socket;
        var deadline = EngineV3Fixture.PingInterval + EngineV3Fixture.PingTimeout;
        var started = TimeProvider.System.GetTimestamp();

        // Pinging as the client does, every interval, for three heartbeat deadlines.
        while (TimeProvider.System.GetElapsedTime(started) < deadline * 3)
        {
            await SendTextAsync(socket, "2");
            Assert.Equal("3", Encoding.UTF8.GetString((await ReceiveAsync(socket)).Data));
            await Task.Delay(EngineV3Fixture.PingInterval);
        }

        Assert.False(fixture.Closed[sid].Task.IsCompleted);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2 })] // no message type byte
    [InlineData(new byte[] { })]
    public async Task A_v3_binary_message_without_its_type_byte_closes_the_session(byte[] message)
    {
        var (socket, sid) = await OpenWebSocketAsync("/v3");
        using var _ = socket;

        await socket.SendAsync(message, WebSocketMessageType.Binary, true, CancellationToken.None).Within();

        Assert.Equal(DisconnectCode.BadRequest, await fixture.Closed[sid].Task.Within());
    }

    [Fact]
    public async Task A_pong_from_a_v3_client_breaks_the_protocol()
    {
        var (socket, sid) = await OpenWebSocketAsync("/v3");
        using var _ = socket;

        await SendTextAsync(socket, "3");

        Assert.Equal(DisconnectCode.BadRequest, await fixture.Closed[sid].Task.Within());
    }

    [Fact]
    public async Task Polling_speaks_in_length_prefixed_payloads_both_ways()
    {
        var handshake = await _http.GetStringAsync("v3/?EIO=3&transport=polling").Within();
        var colon = handshake.IndexOf(':', StringComparison.Ordinal);
        Assert.Equal(int.Parse(handshake[..colon], System.Globalization.CultureInfo.InvariantCulture), handshake.Length - colon - 1);
        using var open = JsonDocument.Parse(handshake[(colon + 2)..]);
        var sid = open.RootElement.GetProperty("sid").GetString()!;
        var url = $"v3/?EIO=3&transport=polling&sid={sid}";

        using var post = await _http.PostAsync(url, new StringContent("1:2" + "2:4é" + "10:b4AQID/w==")).Within();
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        // The pong, the echoed text and the echoed binary: without b64, a payload holding binary is a binary payload.
        using var poll = await _http.GetAsync(url).Within();
        Assert.Equal("application/octet-stream", poll.Content.Headers.ContentType?.MediaType);
        byte[] expected = [0, 1, 0xFF, (byte)'3', 0, 3, 0xFF, (byte)'4', 0xC3, 0xA9, 1, 5, 0xFF, 4, 1, 2, 3, 255];
        Assert.Equal(expected, await poll.Content.ReadAsByteArrayAsync().Within());
    }

    [Fact]
    public async Task Polling_with_b64_answers_binary_in_a_text_payload_and_reads_binary_payloads()
    {
        var handshake = await _http.GetStringAsync("v3/?EIO=3&transport=polling&b64=1").Within();
        var colon = handshake.IndexOf(':', StringComparison.Ordinal);
        using var open = JsonDocument.Parse(handshake[(colon + 2)..]);
        var url = $"v3/?EIO=3&transport=polling&sid={open.RootElement.GetProperty("sid").GetString()}";
        var body = new ByteArrayContent([1, 3, 0xFF, 4, 7, 8]);
        body.Headers.ContentType = new("application/octet-stream");

        using var post = await _http.PostAsync(url, body).Within();
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        using var poll = await _http.GetAsync(url).Within();
        Assert.Equal("text/plain", poll.Content.Headers.ContentType?.MediaType);
        Assert.Equal("6:b4Bwg=", await poll.Content.ReadAsStringAsync().Within());
    }

    [Fact]
    public async Task A_v4_request_for_a_v3_session_is_refused()
    {
        var handshake = await _http.GetStringAsync("v3/?EIO=3&transport=polling").Within();
        using var open = JsonDocument.Parse(handshake[(handshake.IndexOf(':', StringComparison.Ordinal) + 2)..]);

        using var response = await _http.GetAsync($"v3/?EIO=4&transport=polling&sid={open.RootElement.GetProperty("sid").GetString()}").Within();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("{\"code\":3,\"message\":\"Bad request\"}", await response.Content.ReadAsStringAsync().Within());
    }

    [Fact]
    public async Task Polling_handshake_sets_the_default_cookie_to_the_session_id()
    {
        using var response = await _http.GetAsync("cookie/?EIO=4&transport=polling").Within();
        var body = await response.Content.ReadAsStringAsync().Within();
        using var open = JsonDocument.Parse(body[1..]);
        var sid = open.RootElement.GetProperty("sid").GetString();

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Equal($"io={sid}; path=/; samesite=lax; httponly", cookie);

        // Only the handshake sets it, as Node's engine.io does.
        using var poll = await _http.PostAsync($"cookie/?EIO=4&transport=polling&sid={sid}", new StringContent("4x")).Within();
        Assert.False(poll.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task WebSocket_handshake_sets_the_cookie_on_the_101_response()
    {
        var (socket, sid) = await OpenWebSocketAsync("/cookie", "EIO=4&transport=websocket");
        using var _ = socket;

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        var cookie = Assert.Single(socket.HttpResponseHeaders!["Set-Cookie"]);
        Assert.Equal($"io={sid}; path=/; samesite=lax; httponly", cookie);
        Assert.True(fixture.Sessions.ContainsKey(sid));
    }

    [Fact]
    public async Task Every_cookie_attribute_can_be_changed()
    {
        using var response = await _http.GetAsync("cookie-custom/?EIO=4&transport=polling").Within();
        using var open = JsonDocument.Parse((await response.Content.ReadAsStringAsync().Within())[1..]);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Equal($"lb={open.RootElement.GetProperty("sid").GetString()}; max-age=3600; domain=example.test; path=/app; secure; samesite=strict", cookie);
    }

    [Fact]
    public async Task Without_the_option_no_cookie_is_set()
    {
        using var response = await _http.GetAsync("plain/?EIO=4&transport=polling").Within();
        var (socket, _) = await OpenWebSocketAsync("/plain", "EIO=4&transport=websocket");
        using var __ = socket;

        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.False(socket.HttpResponseHeaders!.ContainsKey("Set-Cookie"));
    }
}
