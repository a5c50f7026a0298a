using System.Net;
using System.Net.WebSockets;
using System.Text;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Every kind of bad input gets a clear error (a reply, or a close frame and status, or an HTTP answer),
/// is logged, and disturbs no other connection: a bystander subscribed before it still receives a
/// publication made after it.
/// </summary>
public sealed class PlainWebSocketBadInputTests(PlainWebSocketFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainWebSocketFixture>
{
    private readonly string _channel = PlainWebSocketFixture.NewChannel();
    private PlainClient? _bystander;

    private async Task<PlainClient> BystanderAsync()
    {
        _bystander = await ConnectAsync();
        await _bystander.OkAsync("subscribe", new { channel = _channel });
        return _bystander;
    }

    /// <summary>The bystander still gets publications, and the offender (when still open) still answers.</summary>
    private async Task AssertUndisturbedAsync(PlainClient? offender = null)
    {
        var publisher = await ConnectAsync();
        var ack = await publisher.OkAsync("publish", new { channel = _channel, data = "after" });
        var pub = await _bystander!.NextPushAsync("pub");
        Assert.Equal(Offset(ack), Offset(pub));
        if (offender is not null)
        {
            await offender.OkAsync("ping");
        }
    }

    private async Task<string> InvalidFrameAsync(PlainClient client, string frame, string code)
    {
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrame, client.ConnectionId, code);
        await client.SendTextAsync(frame);
        var message = PlainClient.AssertError(await client.NextAsync(), code);
        await logged.Within();
        return message;
    }

    [Theory]
    [InlineData("{\"op\":\"ping\"", "malformed JSON")]
    [InlineData("{op:ping}", "malformed JSON")]
    [InlineData("", "malformed JSON")]
    [InlineData("[\"ping\"]", "a frame must be a JSON object")]
    [InlineData("42", "a frame must be a JSON object")]
    public async Task Malformed_JSON_gets_a_bad_request_reply_and_the_connection_stays_open(string frame, string message)
    {
        await BystanderAsync();
        var client = await ConnectAsync();

        Assert.StartsWith(message, await InvalidFrameAsync(client, frame, "bad_request"));

        await AssertUndisturbedAsync(client);
    }

    public static TheoryData<string, string, string> BadChannelNames()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var op in new[] { "subscribe", "unsubscribe", "publish", "history", "presence" })
        {
            data.Add(op, "a\rb", "must not contain control characters");
            data.Add(op, "a\nb", "must not contain control characters");
            data.Add(op, "a\u0000b", "must not contain control characters");
            data.Add(op, "a\u007Fb", "must not contain control characters");
            data.Add(op, new string('x', 201), "longer than 200 characters");
        }
        return data;
    }

    /// <summary>The one channel-name rule of every protocol (ChannelNames): CR, LF and NUL were accepted here once.</summary>
    [Theory]
    [MemberData(nameof(BadChannelNames))]
    public async Task A_channel_name_outside_the_one_rule_gets_bad_request_and_is_logged(string op, string channel, string message)
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "bad_request");

        var error = await client.ErrorAsync(op, new { channel, data = 1 }, "bad_request");

        Assert.Contains(message, error, StringComparison.Ordinal);
        var entry = await logged.Within();
        Assert.DoesNotContain('\n', entry.Message);
        Assert.DoesNotContain('\r', entry.Message);
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task A_request_without_op_gets_bad_request_with_its_id()
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        await client.SendTextAsync("""{"id":7,"channel":"a"}""");

        var reply = await client.NextAsync();

        Assert.Equal(7, reply.GetProperty("id").GetInt32());
        Assert.Equal("missing 'op'", PlainClient.AssertError(reply, "bad_request"));
        await Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrame, client.ConnectionId, "missing 'op'").Within();
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task An_unknown_op_gets_unknown_op_with_its_id()
    {
        await BystanderAsync();
        var client = await ConnectAsync();

        var message = await client.ErrorAsync("teleport", new { channel = "a" }, "unknown_op");

        Assert.Equal("unknown op 'teleport'", message);
        await Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrame, client.ConnectionId, "unknown_op").Within();
        await AssertUndisturbedAsync(client);
    }

    [Theory]
    [InlineData("subscribe", "{\"channel\":5}", "'channel' must be a string")]
    [InlineData("subscribe", "{}", "'subscribe' needs a non-empty 'channel'")]
    [InlineData("subscribe", "{\"channel\":\"a\",\"since\":{\"offset\":\"1\",\"epoch\":\"e\"}}", "'since' needs 'offset'")]
    [InlineData("subscribe", "{\"channel\":\"a\",\"since\":[1]}", "'since' must be an object")]
    [InlineData("publish", "{\"channel\":\"a\",\"event\":\"disconnect\"}", "'event' must be a non-empty name other than")]
    [InlineData("publish", "{\"channel\":\"a\",\"echo\":1}", "'echo' must be true or false")]
    [InlineData("history", "{\"channel\":\"a\",\"limit\":-3}", "'limit' must be a positive integer")]
    public async Task Fields_of_the_wrong_type_get_bad_request_saying_which(string op, string fields, string message)
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        var frame = "{\"id\":1,\"op\":\"" + op + "\"," + fields.TrimStart('{');
        if (frame.EndsWith(",}", StringComparison.Ordinal))
        {
            frame = frame[..^2] + "}";
        }

        Assert.StartsWith(message, await InvalidFrameAsync(client, frame, "bad_request"));

        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task An_id_that_is_neither_number_nor_string_gets_bad_request_without_an_id()
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        await client.SendTextAsync("""{"id":{"x":1},"op":"ping"}""");

        var reply = await client.NextAsync();

        Assert.False(reply.TryGetProperty("id", out _));
        PlainClient.AssertError(reply, "bad_request");
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task Data_nested_too_deeply_gets_bad_request()
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        // The frame's object is one level; with the data it nests one past the limit of every protocol.
        var deep = new string('[', Switchboard.Protocols.JsonLimits.MaxDepth) + new string(']', Switchboard.Protocols.JsonLimits.MaxDepth);

        Assert.StartsWith("malformed JSON", await InvalidFrameAsync(client, $$"""{"op":"publish","channel":"{{_channel}}","data":{{deep}}}""", "bad_request"));

        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task A_binary_frame_gets_bad_request()
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrame, client.ConnectionId, "binary");

        await client.SendBinaryAsync([1, 2, 3]);

        Assert.Contains("binary", PlainClient.AssertError(await client.NextAsync(), "bad_request"));
        await logged.Within();
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_text_frame_fails_that_connection_only()
    {
        // RFC 6455 8.1: the WebSocket layer itself fails a connection whose text frame is not UTF-8.
        await BystanderAsync();
        var client = await ConnectAsync();
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.Closed, client.ConnectionId, "connection lost");

        await client.SendAsync([.. "{\"op\":\"subscribe\",\"channel\":\""u8, 0xff, 0xfe, .. "\"}"u8], WebSocketMessageType.Text);

        var (status, _) = await client.WaitClosedAsync();
        Assert.True(status is null or WebSocketCloseStatus.InvalidPayloadData, $"Unexpected close status {status}");
        await logged.Within();
        await AssertUndisturbedAsync();
    }

    [Fact]
    public async Task A_channel_name_over_the_limit_gets_bad_request()
    {
        await BystanderAsync();
        var client = await ConnectAsync("/ws-tight");

        var message = await client.ErrorAsync("subscribe", new { channel = new string('c', PlainWebSocketFixture.Tight.MaxChannelLength + 1) }, "bad_request");

        Assert.Contains($"{PlainWebSocketFixture.Tight.MaxChannelLength} characters", message);
        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "bad_request").Within();
        await client.OkAsync("subscribe", new { channel = new string('c', PlainWebSocketFixture.Tight.MaxChannelLength) });
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task Unsubscribing_from_a_channel_not_subscribed_gets_not_subscribed()
    {
        await BystanderAsync();
        var client = await ConnectAsync();

        await client.ErrorAsync("unsubscribe", new { channel = _channel }, "not_subscribed");

        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "not_subscribed").Within();
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task Subscribing_twice_gets_already_subscribed_and_no_second_replay()
    {
        await BystanderAsync();
        var client = await ConnectAsync();
        var ack = await client.OkAsync("publish", new { channel = _channel, data = 1 });
        await client.OkAsync("subscribe", new { channel = _channel });

        await client.ErrorAsync("subscribe", new { channel = _channel, since = new { offset = 0, epoch = Epoch(ack) } }, "already_subscribed");

        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "already_subscribed").Within();
        Assert.Empty(client.Pushes);
        await _bystander!.NextPushAsync("pub");
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task Subscriptions_over_the_limit_get_too_many_subscriptions_until_one_is_dropped()
    {
        await BystanderAsync();
        var client = await ConnectAsync("/ws-tight");
        for (var i = 0; i < PlainWebSocketFixture.Tight.MaxSubscriptions; i++)
        {
            await client.OkAsync("subscribe", new { channel = "t" + i });
        }

        await client.ErrorAsync("subscribe", new { channel = "t-extra" }, "too_many_subscriptions");
        await client.OkAsync("unsubscribe", new { channel = "t0" });
        await client.OkAsync("subscribe", new { channel = "t-extra" });

        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "too_many_subscriptions").Within();
        await AssertUndisturbedAsync(client);
    }

    [Fact]
    public async Task A_history_limit_above_the_maximum_is_capped()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync("/ws-tight");
        for (var i = 0; i < PlainWebSocketFixture.Tight.MaxHistoryLimit + 2; i++)
        {
            await client.OkAsync("publish", new { channel, data = i });
        }

        var history = await client.OkAsync("history", new { channel, limit = 1000 });

        Assert.Equal(PlainWebSocketFixture.Tight.MaxHistoryLimit, history.GetProperty("publications").GetArrayLength());
    }

    [Fact]
    public async Task A_message_at_the_size_limit_is_accepted()
    {
        var client = await ConnectAsync("/ws-tight");
        var frame = """{"op":"ping","id":1,"pad":""}""";
        frame = frame.Insert(frame.Length - 2, new string('x', PlainWebSocketFixture.Tight.MaxMessageSize - frame.Length));
        Assert.Equal(PlainWebSocketFixture.Tight.MaxMessageSize, Encoding.UTF8.GetByteCount(frame));

        await client.SendTextAsync(frame);

        Assert.Equal("""{"id":1,"ok":true}""", (await client.NextAsync()).GetRawText());
    }

    [Fact]
    public async Task A_message_over_the_size_limit_gets_a_close_frame_too_large_and_status_1009()
    {
        await BystanderAsync();
        var client = await ConnectAsync("/ws-tight");
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.TooLarge, client.ConnectionId);

        await client.SendTextAsync($$"""{"op":"publish","channel":"{{_channel}}","data":"{{new string('x', 4 * PlainWebSocketFixture.Tight.MaxMessageSize)}}"}""");

        var close = await client.NextPushAsync("close");
        Assert.Equal("too_large", close.GetProperty("code").GetString());
        Assert.False(close.GetProperty("reconnect").GetBoolean());
        var (status, description) = await client.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal("too_large", description);
        await logged.Within();
        await AssertUndisturbedAsync();
    }

    [Fact]
    public async Task A_flood_of_invalid_frames_closes_the_connection_with_bad_request_and_1008()
    {
        await BystanderAsync();
        var client = await ConnectAsync("/ws-tight");
        var logged = Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrameFlood, client.ConnectionId);

        for (var i = 0; i < PlainWebSocketFixture.Tight.InvalidFrameBurst; i++)
        {
            await InvalidFrameAsync(client, "nonsense", "bad_request");
        }
        await client.SendTextAsync("nonsense");

        var close = await client.NextPushAsync("close");
        Assert.Equal("bad_request", close.GetProperty("code").GetString());
        Assert.Equal("too many invalid frames", close.GetProperty("reason").GetString());
        var (status, _) = await client.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        await logged.Within();
        await AssertUndisturbedAsync();
    }

    [Fact]
    public async Task A_request_sent_in_several_fragments_is_read_whole()
    {
        var client = await ConnectAsync();

        await client.SendFragmentedAsync("""{"op":"ping","id":"fragmented"}""", 5);

        Assert.Equal("""{"id":"fragmented","ok":true}""", (await client.NextAsync()).GetRawText());
    }

    [Fact]
    public async Task A_plain_HTTP_request_gets_426_with_a_JSON_error()
    {
        var (status, response, body) = await PlainHttp.RefusalAsync(Host, "/ws?token=all", upgrade: false);

        Assert.Equal(HttpStatusCode.UpgradeRequired, status);
        Assert.Equal("websocket", response.Headers.Upgrade.Single().Name);
        Assert.Equal("websocket_required", PlainHttp.ErrorCode(body));
        await Fixture.Log.WaitForAsync(PlainLogEvents.Refused, null, "websocket_required").Within();
    }

    [Fact]
    public async Task Offering_only_other_subprotocols_gets_400_unsupported_protocol()
    {
        var bystander = await BystanderAsync();

        var (status, _, body) = await PlainHttp.RefusalAsync(Host, "/ws?token=all",
            configure: r => r.Headers.Add("Sec-WebSocket-Protocol", "switchboard.v2, graphql-ws"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_protocol", PlainHttp.ErrorCode(body));
        Assert.Contains("switchboard.v1", body.GetProperty("error").GetProperty("message").GetString());
        await Fixture.Log.WaitForAsync(PlainLogEvents.Refused, null, "unsupported_protocol").Within();
        await AssertUndisturbedAsync(bystander);
    }
}
