using System.Buffers;
using System.Text;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.Protocols.Tests.WebSockets;

public class WebSocketHandshakeRequestTests
{
    private const string Handshake =
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\r\n";

    private static HttpRequestHeadRead Read(string text, out WebSocketHandshakeRequest? request, out long consumed, int max = 8192) =>
        WebSocketHandshakeRequest.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), max, out request, out consumed);

    [Fact]
    public void Reads_a_handshake()
    {
        Assert.Equal(HttpRequestHeadRead.Complete, Read(Handshake + "\x81", out var request, out var consumed));
        Assert.Equal(Handshake.Length, consumed);
        Assert.Equal("GET", request!.Method);
        Assert.Equal("/socket.io/", request.Path.ToString());
        Assert.Equal("EIO=4&transport=websocket", request.Query.ToString());
        Assert.Equal("http://example.com", request.Header("origin"));
        Assert.True(request.IsWebSocketHandshake(out var key));
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", key);
    }

    [Fact]
    public void Accept_key_is_the_rfc_example()
    {
        // RFC 6455 §1.3.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshakeRequest.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
        var writer = new ArrayBufferWriter<byte>();
        WebSocketHandshakeRequest.WriteAccept(writer, "dGhlIHNhbXBsZSBub25jZQ==");
        Assert.Equal("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            Encoding.ASCII.GetString(writer.WrittenSpan));
    }

    [Fact]
    public void Every_prefix_is_incomplete()
    {
        for (var i = 0; i < Handshake.Length; i++)
        {
            Assert.Equal(HttpRequestHeadRead.Incomplete, Read(Handshake[..i], out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void A_head_past_the_limit_is_too_large()
    {
        Assert.Equal(HttpRequestHeadRead.TooLarge, Read(Handshake, out _, out _, max: 64));
    }

    [Theory]
    [InlineData("GET /x HTTP/1.0\r\nHost: a\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHo st: a\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nHost a\r\n\r\n")]
    [InlineData("GET x HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /x\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n")]
    public void Unusual_heads_are_left_to_a_full_server(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        Assert.Equal(HttpRequestHeadRead.Unrecognized, WebSocketHandshakeRequest.TryRead(new ReadOnlySequence<byte>(bytes), 8192, out _, out _));
    }

    [Theory]
    [InlineData("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8")]
    [InlineData("Upgrade: websocket", "Upgrade: h2c")]
    [InlineData("Connection: keep-alive, Upgrade", "Connection: keep-alive")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j")]
    [InlineData("GET ", "POST ")]
    public void Requests_missing_a_handshake_requirement_are_not_handshakes(string from, string to)
    {
        Assert.Equal(HttpRequestHeadRead.Complete, Read(Handshake.Replace(from, to, StringComparison.Ordinal), out var request, out _));
        Assert.False(request!.IsWebSocketHandshake(out _));
    }

    [Theory]
    [InlineData(new byte[] { }, 1000, 1005)]
    [InlineData(new byte[] { 3 }, 1002, 1005)]
    [InlineData(new byte[] { 0x03, 0xE8 }, 1000, 1000)]
    [InlineData(new byte[] { 0x0F, 0xA0, 0x6F, 0x6B }, 4000, 4000)]
    [InlineData(new byte[] { 0x03, 0xED }, 1002, 1005)] // 1005 may not be sent
    [InlineData(new byte[] { 0x03, 0xEE }, 1002, 1006)]
    [InlineData(new byte[] { 0x03, 0xE7 }, 1002, 999)]
    [InlineData(new byte[] { 0x13, 0x88 }, 1002, 5000)]
    [InlineData(new byte[] { 0x03, 0xE8, 0xC0, 0xAF }, 1007, 1000)]
    public void Close_payloads_are_answered_by_the_rfc(byte[] payload, int answer, int code)
    {
        Assert.Equal(answer, WebSocketClosePayload.Read(payload, out var received));
        Assert.Equal(code, received);
    }
}
