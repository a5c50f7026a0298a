using System.Net;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Tokens at connect (query, header, cookie; 401 with a JSON body before the upgrade when missing,
/// expired or forged) and grants per operation (<c>forbidden</c>). See <see cref="TestChannelAuthorizer"/>.
/// </summary>
public sealed class PlainWebSocketAuthTests(PlainWebSocketFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainWebSocketFixture>
{
    [Fact]
    public async Task A_valid_token_in_the_query_is_accepted()
    {
        var client = await ConnectAsync(token: "all");

        await client.OkAsync("ping");
    }

    [Fact]
    public async Task A_valid_token_in_the_authorization_header_is_accepted()
    {
        var client = Track(await PlainClient.ConnectAsync(Host, token: null, configure: o => o.SetRequestHeader("Authorization", "Bearer reader")));

        await client.OkAsync("subscribe", new { channel = "news.header" });
        await client.ErrorAsync("subscribe", new { channel = "sports" }, "forbidden");
    }

    [Fact]
    public async Task A_valid_token_in_the_sb_token_cookie_is_accepted()
    {
        var client = Track(await PlainClient.ConnectAsync(Host, token: null, configure: o => o.SetRequestHeader("Cookie", "sb_token=reader")));

        await client.OkAsync("subscribe", new { channel = "news.cookie" });
        await client.ErrorAsync("subscribe", new { channel = "sports" }, "forbidden");
    }

    [Theory]
    [InlineData(null, "token_missing")]
    [InlineData("expired", "token_expired")]
    [InlineData("forged.jwt.value", "token_invalid")]
    public async Task A_missing_expired_or_forged_token_is_refused_with_401_and_a_JSON_error_before_the_upgrade(string? token, string code)
    {
        var bystander = await ConnectAsync();
        var query = token is null ? "/ws" : "/ws?token=" + Uri.EscapeDataString(token);

        var (status, response, body) = await PlainHttp.RefusalAsync(Host, query);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(code, PlainHttp.ErrorCode(body));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
        await Fixture.Log.WaitForAsync(e => e.EventId == PlainLogEvents.Refused && e.Message.Contains("401 " + code, StringComparison.Ordinal)).Within();
        await bystander.OkAsync("ping");
    }

    [Fact]
    public async Task ClientWebSocket_sees_the_refusal_as_a_401()
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(PlainClient.Url(Host, token: "expired"), CancellationToken.None).Within());

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_reader_may_subscribe_read_history_and_presence_only_where_granted()
    {
        var reader = await ConnectAsync(token: "reader");

        await reader.OkAsync("subscribe", new { channel = "news.reader" });
        await reader.OkAsync("history", new { channel = "news.reader" });
        await reader.OkAsync("presence", new { channel = "news.reader" });
        Assert.Contains("subscribe", await reader.ErrorAsync("subscribe", new { channel = "secret" }, "forbidden"));
        await reader.ErrorAsync("history", new { channel = "secret" }, "forbidden");
        await reader.ErrorAsync("presence", new { channel = "secret" }, "forbidden");
        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, reader.ConnectionId, "forbidden").Within();
    }

    [Fact]
    public async Task A_reader_may_not_publish_even_where_it_may_subscribe()
    {
        var channel = "news." + PlainWebSocketFixture.NewChannel();
        var reader = await ConnectAsync(token: "reader");
        var watcher = await ConnectAsync();
        await watcher.OkAsync("subscribe", new { channel });

        var message = await reader.ErrorAsync("publish", new { channel, data = 1 }, "forbidden");

        Assert.Contains(channel, message);
        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, reader.ConnectionId, "publish").Within();
        await watcher.AssertNoPushesAsync();
        Assert.Equal(0, Offset(await watcher.OkAsync("history", new { channel })));
    }

    [Fact]
    public async Task A_writer_may_publish_only_on_its_patterns()
    {
        var writer = await ConnectAsync(token: "writer");

        var ack = await writer.OkAsync("publish", new { channel = "news." + PlainWebSocketFixture.NewChannel(), data = 1 });
        await writer.ErrorAsync("publish", new { channel = PlainWebSocketFixture.NewChannel(), data = 1 }, "forbidden");

        Assert.Equal(1, Offset(ack));
    }

    [Fact]
    public async Task A_Socket_IO_sockets_private_room_is_no_channel_for_plain_clients()
    {
        var (socketIo, socketId) = await SocketIOTestClient.ConnectAsync(Host);
        Track(socketIo);
        var client = await ConnectAsync();

        var message = await client.ErrorAsync("publish", new { channel = socketId, @event = "spoof", data = 1 }, "forbidden");
        await client.ErrorAsync("subscribe", new { channel = socketId }, "forbidden");
        await client.ErrorAsync("presence", new { channel = socketId }, "forbidden");
        await client.ErrorAsync("history", new { channel = socketId }, "forbidden");

        Assert.Contains("private room", message);
        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "private room").Within();
        // The socket's next packet is a marker sent afterwards, so the refused publication never reached it.
        Fixture.Io.Main.Sockets[socketId].Emit("marker");
        Assert.Equal("42[\"marker\"]", await socketIo.ReceiveTextAsync());
    }
}
