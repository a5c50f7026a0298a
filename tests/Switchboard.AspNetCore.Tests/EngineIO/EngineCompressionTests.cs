using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Tests.PlainWebSocket;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EngineCompressionTests(CompressionFixture fixture) : IClassFixture<CompressionFixture>, IDisposable
{
    /// <summary>Repetitive, so deflate shrinks it a lot; longer than the 1024-byte threshold.</summary>
    private static readonly string Large = string.Concat(Enumerable.Repeat("compress me, compress me! ", 200));

    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    // ---- httpCompression: long-polling responses ----

    /// <summary>A polling session whose next poll carries <paramref name="message"/> (echoed), read raw with the given Accept-Encoding.</summary>
    private async Task<HttpResponseMessage> PollEchoAsync(string path, string message, string? acceptEncoding)
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, path);
        await client.HandshakeAsync();
        await client.PostAsync("4" + message);
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = fixture.Host.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Get, client.SessionUrl);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }
        return await http.SendAsync(request).Within();
    }

    private static async Task<string> DecodeAsync(HttpResponseMessage response)
    {
        var raw = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(raw.Length, response.Content.Headers.ContentLength);
        Stream body = new MemoryStream(raw);
        body = response.Content.Headers.ContentEncoding.SingleOrDefault() switch
        {
            "gzip" => new GZipStream(body, CompressionMode.Decompress),
            "deflate" => new ZLibStream(body, CompressionMode.Decompress),
            null => body,
            var other => throw new InvalidOperationException($"unexpected Content-Encoding {other}"),
        };
        using var reader = new StreamReader(body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Theory]
    [InlineData("gzip, deflate, br", "gzip")]
    [InlineData("deflate", "deflate")]
    [InlineData("gzip;q=0.5, deflate", "deflate")]
    [InlineData("br, *;q=0.1", "gzip")]
    public async Task A_large_poll_is_compressed_with_the_encoding_the_client_prefers(string acceptEncoding, string expected)
    {
        using var response = await PollEchoAsync("/engine.io", Large, acceptEncoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.True(response.Content.Headers.ContentLength < Large.Length / 10, $"{response.Content.Headers.ContentLength} bytes for {Large.Length}");
        Assert.Equal("4" + Large, await DecodeAsync(response));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("br")]
    [InlineData("identity")]
    [InlineData("gzip;q=0, deflate;q=0")]
    [InlineData("gzip;q=oops, ;;, deflate;q=")]
    public async Task A_poll_is_not_compressed_when_the_client_accepts_neither_gzip_nor_deflate(string? acceptEncoding)
    {
        using var response = await PollEchoAsync("/engine.io", Large, acceptEncoding);

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("4" + Large, await DecodeAsync(response));
    }

    [Fact]
    public async Task A_poll_under_the_threshold_is_not_compressed()
    {
        var small = new string('a', 1000);
        using var response = await PollEchoAsync("/engine.io", small, "gzip");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("4" + small, await DecodeAsync(response));
    }

    [Fact]
    public async Task A_poll_is_not_compressed_when_http_compression_is_off()
    {
        using var response = await PollEchoAsync("/plain", Large, "gzip, deflate");

        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.Equal("4" + Large, await DecodeAsync(response));
    }

    // ---- perMessageDeflate: negotiation ----

    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits=10", "permessage-deflate; client_max_window_bits=10")]
    [InlineData("permessage-deflate; server_max_window_bits=12", "permessage-deflate; server_max_window_bits=12")]
    [InlineData("permessage-deflate; server_max_window_bits=\"11\"", "permessage-deflate; server_max_window_bits=11")]
    [InlineData("permessage-deflate; server_no_context_takeover; client_no_context_takeover", "permessage-deflate; server_no_context_takeover; client_no_context_takeover")]
    [InlineData("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits", "permessage-deflate")]
    // An offer the server cannot accept is skipped for the next one (RFC 7692 §5.1).
    [InlineData("permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; unknown, permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=9")]
    public void An_acceptable_offer_is_answered(string offer, string expected)
    {
        Assert.True(Transports.EngineIO.PerMessageDeflateNegotiation.TryNegotiate(offer, new PerMessageDeflateOptions { Enabled = true }, out var deflate, out var response));
        Assert.Equal(expected, response);
        Assert.Equal(!expected.Contains("server_no_context_takeover", StringComparison.Ordinal), deflate.ServerContextTakeover);
        Assert.Equal(!expected.Contains("client_no_context_takeover", StringComparison.Ordinal), deflate.ClientContextTakeover);
    }

    [Theory]
    [InlineData("")]
    [InlineData("x-webkit-deflate-frame")]
    [InlineData("permessage-deflate; server_max_window_bits")]
    [InlineData("permessage-deflate; server_max_window_bits=8")]
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=010")]
    [InlineData("permessage-deflate; client_max_window_bits=7")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; foo=bar")]
    public void An_offer_the_server_cannot_accept_is_declined(string offer)
    {
        Assert.False(Transports.EngineIO.PerMessageDeflateNegotiation.TryNegotiate(offer, new PerMessageDeflateOptions { Enabled = true }, out _, out _));
    }

    [Fact]
    public void The_server_settings_narrow_what_it_answers()
    {
        var options = new PerMessageDeflateOptions { Enabled = true, ServerMaxWindowBits = 10, DisableServerContextTakeover = true };

        Assert.True(Transports.EngineIO.PerMessageDeflateNegotiation.TryNegotiate("permessage-deflate; server_max_window_bits=12", options, out var deflate, out var response));
        Assert.Equal("permessage-deflate; server_no_context_takeover; server_max_window_bits=10", response);
        Assert.Equal(10, deflate.ServerMaxWindowBits);
        Assert.False(deflate.ServerContextTakeover);
    }

    // ---- perMessageDeflate: on the wire ----

    /// <summary>
    /// A raw RFC 6455 client over TCP, so the test sees each frame's RSV1 bit (set on a compressed
    /// message, RFC 7692 §6) and the compressed bytes themselves.
    /// </summary>
    private sealed class RawWebSocket(TcpClient tcp, NetworkStream stream, string responseHead) : IDisposable
    {
        public string ResponseHead => responseHead;

        public static async Task<RawWebSocket> ConnectAsync(Uri baseAddress, string pathAndQuery, string? extensions)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port).Within();
            var stream = tcp.GetStream();
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                + (extensions is null ? "" : $"Sec-WebSocket-Extensions: {extensions}\r\n") + "\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().Within();
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                var one = new byte[1];
                Assert.Equal(1, await stream.ReadAsync(one).AsTask().Within());
                head.Append((char)one[0]);
            }
            Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
            return new RawWebSocket(tcp, stream, head.ToString());
        }

        /// <summary>Reads one unfragmented frame: whether RSV1 is set, and its payload as sent.</summary>
        public async Task<(bool Compressed, byte[] Payload)> ReadFrameAsync()
        {
            var header = await ReadExactlyAsync(2);
            Assert.True((header[0] & 0x80) != 0, "a fragmented message");
            long length = header[1] & 0x7f;
            if (length == 126)
            {
                var extended = await ReadExactlyAsync(2);
                length = (extended[0] << 8) | extended[1];
            }
            else if (length == 127)
            {
                var extended = await ReadExactlyAsync(8);
                length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(extended);
            }
            return ((header[0] & 0x40) != 0, await ReadExactlyAsync((int)length));
        }

        /// <summary>Sends a masked, uncompressed text frame.</summary>
        public async Task SendTextAsync(string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var frame = new List<byte> { 0x81 };
            if (payload.Length < 126)
            {
                frame.Add((byte)(0x80 | payload.Length));
            }
            else
            {
                frame.Add(0x80 | 126);
                frame.Add((byte)(payload.Length >> 8));
                frame.Add((byte)payload.Length);
            }
            var mask = RandomNumberGenerator.GetBytes(4);
            frame.AddRange(mask);
            frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
            await stream.WriteAsync(frame.ToArray()).AsTask().Within();
        }

        private async Task<byte[]> ReadExactlyAsync(int count)
        {
            var buffer = new byte[count];
            await stream.ReadExactlyAsync(buffer).AsTask().Within();
            return buffer;
        }

        public void Dispose()
        {
            stream.Dispose();
            tcp.Dispose();
        }
    }

    /// <summary>A compressed message's text: its raw deflate data plus the tail the sender removed (RFC 7692 §7.2.2).</summary>
    private static string Inflate(byte[] payload)
    {
        using var input = new MemoryStream([.. payload, 0x00, 0x00, 0xff, 0xff]);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        var output = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        // The stream has no final block: read what is there until the inflater runs dry.
        while ((read = inflater.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task A_websocket_that_offers_deflate_gets_large_messages_compressed_and_small_ones_plain()
    {
        using var socket = await RawWebSocket.ConnectAsync(fixture.Host.BaseAddress, "/engine.io/?EIO=4&transport=websocket", "permessage-deflate; client_max_window_bits");
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate\r\n", socket.ResponseHead, StringComparison.OrdinalIgnoreCase);

        var (openCompressed, open) = await socket.ReadFrameAsync();
        Assert.False(openCompressed, "the open packet is under the threshold");
        Assert.StartsWith("0{\"sid\":", Encoding.UTF8.GetString(open), StringComparison.Ordinal);

        await socket.SendTextAsync("4" + Large);
        var (compressed, payload) = await socket.ReadFrameAsync();
        Assert.True(compressed, "a message over the threshold has RSV1 set");
        Assert.True(payload.Length < Large.Length / 10, $"{payload.Length} bytes on the wire for {Large.Length}");
        Assert.Equal("4" + Large, Inflate(payload));

        await socket.SendTextAsync("4small");
        var (smallCompressed, small) = await socket.ReadFrameAsync();
        Assert.False(smallCompressed, "a message under the threshold goes uncompressed");
        Assert.Equal("4small", Encoding.UTF8.GetString(small));
    }

    [Fact]
    public async Task Compress_false_sends_a_socket_io_emit_or_broadcast_uncompressed_over_the_threshold()
    {
        using var socket = await RawWebSocket.ConnectAsync(fixture.Host.BaseAddress, "/socket.io/?EIO=4&transport=websocket", "permessage-deflate");
        await socket.ReadFrameAsync();
        await socket.SendTextAsync("40");
        Assert.StartsWith("40{\"sid\":", Encoding.UTF8.GetString((await socket.ReadFrameAsync()).Payload), StringComparison.Ordinal);

        await socket.SendTextAsync($"42[\"big\",\"{Large}\"]");

        var expected = $"42[\"big\",\"{Large}\"]";
        var (compressed, payload) = await socket.ReadFrameAsync();
        Assert.True(compressed, "the default emit is compressed");
        Assert.Equal(expected, Inflate(payload));
        for (var i = 0; i < 2; i++)
        {
            var (plain, bytes) = await socket.ReadFrameAsync();
            Assert.False(plain, i == 0 ? "socket.Compress(false).Emit" : "io.In(id).Compress(false).EmitAsync");
            Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        }
    }

    [Theory]
    [InlineData("/engine.io/?EIO=4&transport=websocket", null)]
    [InlineData("/plain/?EIO=4&transport=websocket", "permessage-deflate; client_max_window_bits")]
    [InlineData("/engine.io/?EIO=4&transport=websocket", "permessage-deflate; server_max_window_bits=99; bogus")]
    public async Task Without_an_offer_or_with_deflate_off_nothing_is_compressed(string path, string? offer)
    {
        using var socket = await RawWebSocket.ConnectAsync(fixture.Host.BaseAddress, path, offer);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", socket.ResponseHead, StringComparison.OrdinalIgnoreCase);
        await socket.ReadFrameAsync();

        await socket.SendTextAsync("4" + Large);
        var (compressed, payload) = await socket.ReadFrameAsync();
        Assert.False(compressed);
        Assert.Equal("4" + Large, Encoding.UTF8.GetString(payload));
    }

    [Fact]
    public async Task A_dotnet_client_with_deflate_round_trips_a_large_message_after_an_upgrade()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        using var socket = new ClientWebSocket();
        socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(EngineWebSocketClient.Url(fixture.Host.BaseAddress, "/engine.io", polling.Sid), CancellationToken.None).Within();
        Assert.StartsWith("permessage-deflate", socket.HttpResponseHeaders!["Sec-WebSocket-Extensions"].Single(), StringComparison.Ordinal);

        async Task<string> ReceiveAsync()
        {
            var buffer = new byte[64 * 1024];
            var total = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(total), CancellationToken.None).AsTask().Within();
                total += result.Count;
            }
            while (!result.EndOfMessage);
            return Encoding.UTF8.GetString(buffer, 0, total);
        }

        await socket.SendAsync("2probe"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        Assert.Equal("3probe", await ReceiveAsync());
        await socket.SendAsync("5"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        await socket.SendAsync(Encoding.UTF8.GetBytes("4" + Large), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        Assert.Equal("4" + Large, await ReceiveAsync());
    }

    [Theory]
    [InlineData("/ws-deflate", true)]
    [InlineData("/ws", false)]
    public async Task The_plain_websocket_endpoint_negotiates_deflate_when_its_option_is_on(string path, bool negotiated)
    {
        await using var client = await PlainClient.ConnectAsync(fixture.Host, path, configure: o =>
        {
            o.DangerousDeflateOptions = new WebSocketDeflateOptions();
            o.CollectHttpResponseDetails = true;
        }, read: false);
        var extensions = client.ResponseHeaders?.GetValueOrDefault("Sec-WebSocket-Extensions")?.SingleOrDefault();

        Assert.Equal(negotiated, extensions?.StartsWith("permessage-deflate", StringComparison.Ordinal) ?? false);
        await client.StartReadingAsync();
        Assert.Equal("welcome", client.Welcome.GetProperty("type").GetString());
    }
}
