using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>
/// The direct WebSocket mode on a real Kestrel (docs/decisions/0015-own-the-connection.md): .NET's
/// ClientWebSocket as an independent client of the hand-written framing, a raw TCP client for what no
/// real client sends, and the requests that must still reach Kestrel's HTTP pipeline.
/// </summary>
public sealed class DirectWebSocketTests(DirectWebSocketFixture fixture) : IClassFixture<DirectWebSocketFixture>
{
    private Uri Base => fixture.Host.BaseAddress;

    private static string Sid(string open) => JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;

    [Fact]
    public async Task ClientWebSocket_session_runs_on_the_direct_path()
    {
        var before = fixture.Taken;
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(Base, "/engine.io");
        await using var _ = client;
        Assert.Equal(before + 1, fixture.Taken);
        Assert.False(string.IsNullOrEmpty(open.GetProperty("sid").GetString()));
        Assert.Empty(open.GetProperty("upgrades").EnumerateArray());
        await client.SendAsync("4hello é");
        Assert.Equal("4hello é", await client.ReceiveTextAsync());
        await client.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, await client.ReceiveBinaryAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(124)]
    [InlineData(125)]
    [InlineData(65534)]
    [InlineData(65535)]
    [InlineData(300_000)]
    public async Task ClientWebSocket_messages_of_every_length_form_echo(int length)
    {
        var (client, _) = await EngineWebSocketClient.HandshakeAsync(Base, "/engine.io");
        await using var __ = client;
        var text = "4" + new string('x', length);
        await client.SendAsync(text);
        Assert.Equal(text, await client.ReceiveTextAsync());
        var binary = new byte[length + 1];
        new Random(length).NextBytes(binary);
        await client.SendAsync(binary);
        Assert.Equal(binary, await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Server_close_reaches_ClientWebSocket_as_1000()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(Base, "/engine.io");
        await using var _ = client;
        await client.SendAsync("4close");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitClosedAsync("1"));
        Assert.Equal(DisconnectCode.Disconnected, await fixture.WhenClosed(open.GetProperty("sid").GetString()!).Within());
    }

    [Fact]
    public async Task Fragments_with_a_ping_between_them_make_one_message_and_a_pong()
    {
        var (socket, head) = await RawWebSocket.ConnectAsync(Base, "/engine.io/?EIO=4&transport=websocket");
        await using var _ = socket;
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head);
        Assert.StartsWith("0{", (await socket.ReadFrameAsync())!.Text);
        await socket.SendFrameAsync(1, "4hel"u8.ToArray(), fin: false);
        await socket.SendFrameAsync(9, "are you there"u8.ToArray());
        await socket.SendFrameAsync(0, "l"u8.ToArray(), fin: false);
        await socket.SendFrameAsync(0, "o"u8.ToArray());
        var pong = await socket.ReadFrameAsync();
        Assert.Equal(10, pong!.Opcode);
        Assert.Equal("are you there", pong.Text);
        var echo = await socket.ReadFrameAsync();
        Assert.Equal((1, true, "4hello"), (echo!.Opcode, echo.Fin, echo.Text));
    }

    [Fact]
    public async Task Client_close_is_answered_with_its_code_and_the_session_ends()
    {
        var (socket, _) = await RawWebSocket.ConnectAsync(Base, "/engine.io/?EIO=4&transport=websocket");
        await using var __ = socket;
        var sid = Sid((await socket.ReadFrameAsync())!.Text);
        await socket.SendFrameAsync(8, [0x0F, 0xA0, (byte)'b', (byte)'y', (byte)'e']);
        var close = await socket.ReadCloseAsync();
        Assert.Equal(4000, close!.CloseCode);
        Assert.Equal(DisconnectCode.ClientClosed, await fixture.WhenClosed(sid).Within());
        Assert.True(await socket.EndsAsync());
    }

    public static TheoryData<string, string, byte[], int> Malformed => new()
    {
        { "unmasked client frame", "/engine.io/", RawWebSocket.Frame(1, "4a"u8.ToArray(), mask: false), 1002 },
        { "reserved bits set", "/engine.io/", RawWebSocket.Frame(1, "4a"u8.ToArray(), rsv: 4), 1002 },
        { "reserved opcode", "/engine.io/", RawWebSocket.Frame(3, "4a"u8.ToArray()), 1002 },
        { "fragmented control frame", "/engine.io/", RawWebSocket.Frame(9, "x"u8.ToArray(), fin: false), 1002 },
        { "control frame payload over 125 bytes", "/engine.io/", RawWebSocket.Frame(9, new byte[126]), 1002 },
        { "continuation frame outside a message", "/engine.io/", RawWebSocket.Frame(0, "4a"u8.ToArray()), 1002 },
        { "invalid close code", "/engine.io/", RawWebSocket.Frame(8, [0x03, 0xED]), 1002 },
        { "invalid UTF-8 in a text message", "/engine.io/", RawWebSocket.Frame(1, [(byte)'4', 0xC0, 0xAF]), 1007 },
        { "invalid UTF-8 in a text message", "/engine.io/", [.. RawWebSocket.Frame(1, [(byte)'4', 0xE2, 0x82], fin: false), .. RawWebSocket.Frame(0, [(byte)'x'])], 1007 },
        { "message too big", "/small/", RawWebSocket.Frame(2, new byte[DirectWebSocketFixture.SmallMaxPayload + 1]), 1009 },
        { "message too big", "/small/", [.. RawWebSocket.Frame(2, new byte[40], fin: false), .. RawWebSocket.Frame(0, new byte[40])], 1009 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_frames_close_with_the_rfc_code_and_a_log_line(string violation, string path, byte[] frames, int code)
    {
        var (socket, _) = await RawWebSocket.ConnectAsync(Base, path + "?EIO=4&transport=websocket");
        await using var __ = socket;
        var sid = Sid((await socket.ReadFrameAsync())!.Text);
        await socket.SendRawAsync(frames);
        var close = await socket.ReadCloseAsync();
        Assert.NotNull(close);
        Assert.Equal(code, close.CloseCode);
        Assert.Equal(violation, Encoding.UTF8.GetString(close.Payload.AsSpan(2)));
        Assert.True(await socket.EndsAsync());
        Assert.Equal(DisconnectCode.TooLarge, await fixture.WhenClosed(sid).Within());
        Assert.True(fixture.Logged(34, violation), $"no log line for {violation}");
    }

    [Fact]
    public async Task A_broadcast_goes_out_as_one_prebuilt_frame_to_every_recipient()
    {
        var sockets = new List<RawWebSocket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (socket, _) = await RawWebSocket.ConnectAsync(Base, "/socket.io/?EIO=4&transport=websocket");
                sockets.Add(socket);
                Assert.StartsWith("0{", (await socket.ReadFrameAsync())!.Text);
                await socket.SendTextAsync("40");
                Assert.StartsWith("40{", (await socket.ReadFrameAsync())!.Text);
            }
            var before = Transports.Direct.PipeWebSocket.PrebuiltFramesWritten;
            await sockets[0].SendTextAsync("42[\"bcast\",\"to all\"]");
            foreach (var socket in sockets)
            {
                var frame = await socket.ReadFrameAsync();
                Assert.Equal((1, true, "42[\"news\",\"to all\"]"), (frame!.Opcode, frame.Fin, frame.Text));
            }
            // Other tests of the class may broadcast meanwhile: at least these three went out prebuilt.
            Assert.True(Transports.Direct.PipeWebSocket.PrebuiltFramesWritten - before >= 3);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_slow_loris_handshake_is_closed_after_the_timeout()
    {
        await using var socket = await RawWebSocket.ConnectTcpAsync(Base);
        var watch = Stopwatch.StartNew();
        var text = RawWebSocket.HandshakeText("/engine.io/?EIO=4&transport=websocket");
        await socket.SendRawAsync(Encoding.ASCII.GetBytes(text[..60]));
        Assert.True(await socket.EndsAsync());
        Assert.True(watch.Elapsed >= DirectWebSocketFixture.HandshakeTimeout * 0.9, $"closed after {watch.Elapsed}");
        Assert.True(fixture.Logged(1300, "did not finish its handshake"));
    }

    [Fact]
    public async Task Http_requests_on_the_same_port_reach_kestrel()
    {
        var before = fixture.Taken;
        using var http = new HttpClient { BaseAddress = Base };
        Assert.Equal("ok", await http.GetStringAsync("/health").Within());
        var polling = new EnginePollingClient(Base, "/engine.io/");
        var packets = await polling.HandshakeAsync();
        Assert.StartsWith("0{", packets[0]);
        // A WebSocket joining that polling session is an upgrade: Kestrel's path answers it.
        await using var upgrade = await EngineWebSocketClient.ConnectAsync(Base, "/engine.io", polling.Sid);
        await upgrade.SendAsync("2probe");
        Assert.Equal("3probe", await upgrade.ReceiveTextAsync());
        // A request for the mode's path that is not a WebSocket handshake.
        var response = await http.GetAsync("/engine.io/?EIO=4&transport=websocket").Within();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, fixture.Taken);
        polling.Dispose();
    }

    [Fact]
    public async Task A_connection_silent_past_the_timeout_still_reaches_kestrel()
    {
        await using var socket = await RawWebSocket.ConnectTcpAsync(Base);
        // Deliberately past the handshake timeout: a preconnected browser socket may sit idle this long.
        await Task.Delay(DirectWebSocketFixture.HandshakeTimeout + TimeSpan.FromMilliseconds(300));
        await socket.SendRawAsync("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var head = await socket.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200", head);
    }

    [Theory]
    [InlineData("http://evil.example", "403")]
    [InlineData("http://allowed.example", "101")]
    [InlineData("http://127.0.0.1", "101")]
    public async Task The_origin_is_checked(string origin, string status)
    {
        var (socket, head) = await RawWebSocket.ConnectAsync(Base, "/engine.io/?EIO=4&transport=websocket", origin);
        await using var _ = socket;
        Assert.StartsWith($"HTTP/1.1 {status} ", head);
    }

    [Fact]
    public async Task Plain_protocol_runs_on_the_direct_path_with_its_subprotocol()
    {
        var before = fixture.Taken;
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("switchboard.v1");
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri($"ws://{Base.Authority}/ws?token=all"), CancellationToken.None).Within();
        Assert.Equal(before + 1, fixture.Taken);
        Assert.Equal("switchboard.v1", socket.SubProtocol);
        Assert.Contains("\"type\":\"welcome\"", await ReceiveTextAsync(socket));
        await SendTextAsync(socket, "{\"id\":1,\"op\":\"subscribe\",\"channel\":\"prices\"}");
        Assert.Contains("\"id\":1,\"ok\":true", await ReceiveTextAsync(socket));
        await SendTextAsync(socket, "{\"id\":2,\"op\":\"publish\",\"channel\":\"prices\",\"event\":\"tick\",\"data\":{\"px\":1}}");
        var seen = new List<string> { await ReceiveTextAsync(socket), await ReceiveTextAsync(socket) };
        Assert.Contains(seen, m => m.Contains("\"type\":\"pub\"", StringComparison.Ordinal) && m.Contains("\"px\":1", StringComparison.Ordinal));
        Assert.Contains(seen, m => m.Contains("\"id\":2,\"ok\":true", StringComparison.Ordinal));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).Within();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task Plain_protocol_refuses_a_bad_token_before_the_upgrade()
    {
        var (socket, head) = await RawWebSocket.ConnectAsync(Base, "/ws?token=forged");
        await using var _ = socket;
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", head);
        Assert.Contains("WWW-Authenticate: Bearer\r\n", head);
    }

    [Fact]
    public async Task Plain_protocol_keep_alive_pings_and_drops_a_silent_client()
    {
        var (socket, head) = await RawWebSocket.ConnectAsync(Base, "/ws?token=all");
        await using var _ = socket;
        Assert.StartsWith("HTTP/1.1 101 ", head);
        var watch = Stopwatch.StartNew();
        var pings = 0;
        // The client answers the first ping, then stays silent: the server must drop it after its timeout.
        while (await socket.ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == 9 && ++pings == 1)
            {
                await socket.SendFrameAsync(10, frame.Payload);
            }
        }
        Assert.True(pings >= 2, $"{pings} pings");
        Assert.True(watch.Elapsed >= DirectWebSocketFixture.PlainKeepAlive * 3, $"dropped after {watch.Elapsed}");
    }

    private static async Task SendTextAsync(ClientWebSocket socket, string text) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).Within();

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).Within();
            length += result.Count;
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
