using System.Net;
using System.Net.WebSockets;
using System.Text;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EngineMessagingTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task Polling_carries_text_messages_both_ways()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await client.PostAsync("4hello", "4wörld \u2603");

        var probe = fixture.Session(client.Sid);
        Assert.Equal("hello", Encoding.UTF8.GetString((await probe.Received.Reader.ReadAsync().AsTask().Within()).Data.Span));
        Assert.Equal("wörld \u2603", Encoding.UTF8.GetString((await probe.Received.Reader.ReadAsync().AsTask().Within()).Data.Span));
        Assert.Equal(["4hello", "4wörld \u2603"], await client.PollAsync());
    }

    [Fact]
    public async Task Polling_carries_binary_messages_both_ways_as_base64_records()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await client.PostAsync(EnginePollingClient.Binary([1, 2, 3]), "4text", EnginePollingClient.Binary([0xFF, 0x00]));

        var received = fixture.Session(client.Sid).Received.Reader;
        var first = await received.ReadAsync().AsTask().Within();
        Assert.True(first.IsBinary);
        Assert.Equal(new byte[] { 1, 2, 3 }, first.Data.ToArray());
        Assert.Equal(["bAQID", "4text", "b/wA="], await client.PollAsync());
    }

    [Fact]
    public async Task A_held_poll_is_answered_as_soon_as_the_server_sends()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var arrived = fixture.WhenPollArrives(client.Sid);

        var poll = client.PollAsync();
        await arrived;
        var session = fixture.Session(client.Sid).Session;
        session.WaitUntilPollHeld();
        Assert.True(session.SendText("pushed"u8));
        Assert.True(session.SendBinary(new byte[] { 7 }));

        var records = await poll;
        Assert.Equal("4pushed", records[0]);
        // The binary message may ride in the same response or the next one.
        var all = records.Count == 2 ? records : [.. records, .. await client.PollAsync()];
        Assert.Equal(["4pushed", "bBw=="], all);
    }

    [Fact]
    public async Task WebSocket_carries_text_and_binary_messages_both_ways()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        await client.SendAsync("4hello");
        await client.SendAsync([1, 2, 3]);
        await client.SendAsync("4é\u2603");

        Assert.Equal("4hello", await client.ReceiveTextAsync());
        Assert.Equal(new byte[] { 1, 2, 3 }, await client.ReceiveBinaryAsync());
        Assert.Equal("4é\u2603", await client.ReceiveTextAsync());
        var probe = fixture.Session(open.GetProperty("sid").GetString()!);
        Assert.Equal("hello", Encoding.UTF8.GetString((await probe.Received.Reader.ReadAsync().AsTask().Within()).Data.Span));
    }

    [Fact]
    public async Task WebSocket_carries_large_messages_within_the_payload_limit()
    {
        var (client, _) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var __ = client;
        var big = "4" + new string('x', 100_000);
        var bigBinary = Enumerable.Range(0, 50_000).Select(i => (byte)i).ToArray();

        await client.SendAsync(big);
        await client.SendAsync(bigBinary);

        Assert.Equal(big, await client.ReceiveTextAsync());
        Assert.Equal(bigBinary, await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task A_polling_post_larger_than_max_payload_is_413_and_closes_the_session()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/small");
        await client.HandshakeAsync();

        using var response = await client.PostRawAsync("4" + new string('x', EchoEngineFixture.SmallMaxPayload));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(DisconnectCode.TooLarge, await fixture.Session(client.Sid).Closed.Task.Within());
    }

    [Fact]
    public async Task A_polling_post_of_exactly_max_payload_is_accepted()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/small");
        await client.HandshakeAsync();
        var body = "4" + new string('x', EchoEngineFixture.SmallMaxPayload - 1);

        await client.PostAsync(body);

        Assert.Equal([body], await client.PollAsync());
    }

    [Fact]
    public async Task A_chunked_polling_post_larger_than_max_payload_is_413()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/small");
        await client.HandshakeAsync();
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("4" + new string('y', 4 * EchoEngineFixture.SmallMaxPayload))));
        content.Headers.ContentLength = null;

        using var response = await client.SendAsync(HttpMethod.Post, client.SessionUrl, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(DisconnectCode.TooLarge, await fixture.Session(client.Sid).Closed.Task.Within());
    }

    [Fact]
    public async Task A_websocket_message_larger_than_max_payload_closes_the_connection()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/small");
        await using var _ = client;

        await client.SendAsync("4" + new string('x', EchoEngineFixture.SmallMaxPayload));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, await client.WaitClosedAsync());
        Assert.Equal(DisconnectCode.TooLarge, await fixture.Session(open.GetProperty("sid").GetString()!).Closed.Task.Within());
    }

    [Fact]
    public async Task An_invalid_packet_on_a_websocket_closes_the_session_with_a_parse_error()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        await client.SendAsync("9what");

        Assert.Equal(DisconnectCode.BadRequest, await fixture.Session(open.GetProperty("sid").GetString()!).Closed.Task.Within());
        await client.WaitClosedAsync();
    }

    [Fact]
    public async Task A_WebSocket_session_keeps_its_request_headers_by_lower_case_name_and_its_query()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        var request = fixture.Session(open.GetProperty("sid").GetString()!).Session.Request;
        Assert.Equal("4", request.Query["EIO"]);
        Assert.Equal("websocket", request.Query["transport"]);
        Assert.False(request.Query.ContainsKey("eio"));
        Assert.Equal("websocket", request.Headers["upgrade"]);
        Assert.Equal("websocket", request.Headers["Upgrade"]);
        Assert.Equal("13", request.Headers["sec-websocket-version"]);
        Assert.Contains("host", request.Headers.Keys);
        Assert.All(request.Headers.Keys, key => Assert.Equal(key.ToLowerInvariant(), key));
        Assert.StartsWith("/engine.io/?EIO=4&transport=websocket", request.Url);
    }

    [Fact]
    public async Task A_burst_of_frames_queued_at_once_arrives_whole_and_in_order_over_WebSocket()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;
        var session = fixture.Session(open.GetProperty("sid").GetString()!).Session;

        // Queued from this thread in one go: the writer finds them together and sends them as one batch.
        for (var i = 0; i < 200; i++)
        {
            if (i % 50 == 49)
            {
                session.SendBinary(new byte[] { (byte)i, 0xFF });
            }
            else
            {
                session.SendText(Encoding.UTF8.GetBytes("burst " + i));
            }
        }

        for (var i = 0; i < 200; i++)
        {
            var frame = await client.ReceiveAsync();
            if (i % 50 == 49)
            {
                Assert.Equal(new byte[] { (byte)i, 0xFF }, frame.Data);
            }
            else
            {
                Assert.Equal("4burst " + i, frame.Text);
            }
        }
    }
}
