using System.Net.WebSockets;
using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.PlainWebSocket;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>The protocol's operations over a real Kestrel: subscribe, publish, unsubscribe, history, presence, ping.</summary>
public sealed class PlainWebSocketMessagingTests(PlainWebSocketFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainWebSocketFixture>
{
    [Fact]
    public async Task The_welcome_frame_names_the_version_the_connection_id_and_the_size_limit()
    {
        var client = await ConnectAsync();

        Assert.Equal(1, client.Welcome.GetProperty("v").GetInt32());
        Assert.Equal(20, client.ConnectionId.Length);
        Assert.Equal(new PlainWebSocketOptions().MaxMessageSize, client.Welcome.GetProperty("maxMessageSize").GetInt32());
    }

    [Fact]
    public async Task Ping_is_answered_with_ok_and_the_same_id()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync("""{"op":"ping","id":"abc"}""");

        var reply = await client.NextAsync();

        Assert.Equal("""{"id":"abc","ok":true}""", reply.GetRawText());
    }

    [Fact]
    public async Task A_request_without_an_id_gets_a_reply_without_one()
    {
        var client = await ConnectAsync();
        await client.SendTextAsync("""{"op":"ping"}""");

        Assert.Equal("""{"ok":true}""", (await client.NextAsync()).GetRawText());
    }

    [Fact]
    public async Task Subscribe_replies_with_the_channel_position_and_publish_acknowledges_with_the_offset_it_got()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var subscriber = await ConnectAsync();
        var publisher = await ConnectAsync();

        var subscribed = await subscriber.OkAsync("subscribe", new { channel });
        var first = await publisher.OkAsync("publish", new { channel, @event = "msg", data = new { text = "hello" } });
        var second = await publisher.OkAsync("publish", new { channel, @event = "msg", data = 2 });

        Assert.Equal(channel, subscribed.GetProperty("channel").GetString());
        Assert.Equal(0, Offset(subscribed));
        Assert.Equal(1, Offset(first));
        Assert.Equal(2, Offset(second));
        Assert.Equal(Epoch(subscribed), Epoch(first));
        var pubs = await subscriber.PublicationsAsync(2);
        Assert.Equal(
            $$$"""{"type":"pub","channel":"{{{channel}}}","offset":1,"epoch":"{{{Epoch(first)}}}","event":"msg","data":{"text":"hello"}}""",
            pubs[0].GetRawText());
        Assert.Equal(2, Offset(pubs[1]));
        Assert.Equal(2, Data(pubs[1]).GetInt32());
    }

    [Fact]
    public async Task The_publisher_receives_its_own_publication_by_default_before_the_acknowledgement()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        await client.OkAsync("subscribe", new { channel });

        var ack = await client.OkAsync("publish", new { channel, data = "mine" });

        var own = Assert.Single(client.Pushes);
        Assert.Equal(Offset(ack), Offset(own));
        Assert.Equal("message", own.GetProperty("event").GetString());
        Assert.Equal("mine", Data(own).GetString());
    }

    [Fact]
    public async Task Echo_false_excludes_the_publisher_but_not_other_subscribers()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var publisher = await ConnectAsync();
        var other = await ConnectAsync();
        await publisher.OkAsync("subscribe", new { channel });
        await other.OkAsync("subscribe", new { channel });

        var ack = await publisher.OkAsync("publish", new { channel, data = 1, echo = false });

        Assert.Empty(publisher.Pushes);
        await publisher.AssertNoPushesAsync();
        Assert.Equal(Offset(ack), Offset(await other.NextPushAsync("pub")));
    }

    [Fact]
    public async Task Publishing_without_data_sends_null()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        await client.OkAsync("subscribe", new { channel });

        await client.OkAsync("publish", new { channel, @event = "poke" });

        var pub = await client.NextPushAsync("pub");
        Assert.Equal(JsonValueKind.Null, Data(pub).ValueKind);
        Assert.Equal("poke", pub.GetProperty("event").GetString());
    }

    [Fact]
    public async Task After_the_unsubscribe_reply_no_publication_of_that_channel_arrives()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var kept = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        var publisher = await ConnectAsync();
        await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("subscribe", new { channel = kept });

        await client.OkAsync("unsubscribe", new { channel });
        await publisher.OkAsync("publish", new { channel, data = "gone" });
        await publisher.OkAsync("publish", new { channel = kept, data = "still here" });

        var pub = await client.NextPushAsync("pub");
        Assert.Equal(kept, pub.GetProperty("channel").GetString());
        await client.AssertNoPushesAsync();
    }

    [Fact]
    public async Task A_subscriber_may_subscribe_again_after_unsubscribing()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("unsubscribe", new { channel });

        await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("publish", new { channel, data = 1 });

        Assert.Equal(1, Offset(Assert.Single(client.Pushes)));
    }

    [Fact]
    public async Task History_returns_the_latest_publications_as_pub_frames_with_the_top_position()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        for (var i = 1; i <= 5; i++)
        {
            await client.OkAsync("publish", new { channel, data = i });
        }

        var history = await client.OkAsync("history", new { channel, limit = 2 });

        Assert.Equal(5, Offset(history));
        Assert.True(history.GetProperty("continuous").GetBoolean());
        var pubs = history.GetProperty("publications").EnumerateArray().ToList();
        Assert.Equal([4L, 5L], pubs.Select(Offset));
        Assert.Equal([4, 5], pubs.Select(p => Data(p).GetInt32()));
        Assert.All(pubs, p => Assert.Equal("pub", p.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task History_since_a_position_returns_what_followed_it_in_pages()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync("/ws-tight");
        string epoch = "";
        for (var i = 1; i <= 7; i++)
        {
            epoch = Epoch(await client.OkAsync("publish", new { channel, data = i }));
        }

        var page1 = await client.OkAsync("history", new { channel, since = new { offset = 1, epoch }, limit = 100 });
        var last = page1.GetProperty("publications").EnumerateArray().Last();
        var page2 = await client.OkAsync("history", new { channel, since = Position(last) });

        Assert.Equal([2L, 3L, 4L, 5L], page1.GetProperty("publications").EnumerateArray().Select(Offset));
        Assert.Equal(7, Offset(page1));
        Assert.Equal([6L, 7L], page2.GetProperty("publications").EnumerateArray().Select(Offset));
    }

    [Fact]
    public async Task History_from_a_position_that_cannot_be_continued_says_so()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        await client.OkAsync("publish", new { channel, data = 1 });

        var history = await client.OkAsync("history", new { channel, since = new { offset = 0, epoch = "another-epoch" } });

        Assert.False(history.GetProperty("continuous").GetBoolean());
        Assert.Empty(history.GetProperty("publications").EnumerateArray());
        Assert.Equal(1, Offset(history));
    }

    [Fact]
    public async Task Presence_counts_the_subscribers_of_every_protocol()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var a = await ConnectAsync();
        var b = await ConnectAsync();
        await a.OkAsync("subscribe", new { channel });
        await b.OkAsync("subscribe", new { channel });
        var (socketIo, socketId) = await SocketIOTestClient.ConnectAsync(Host);
        Track(socketIo);
        Fixture.Io.Main.Sockets[socketId].Join(channel);

        var presence = await a.OkAsync("presence", new { channel });
        await b.OkAsync("unsubscribe", new { channel });
        var after = await a.OkAsync("presence", new { channel });

        Assert.Equal(3, presence.GetProperty("count").GetInt32());
        Assert.Equal(2, after.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_closed_connection_leaves_its_channels()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var watcher = await ConnectAsync();
        var leaving = await ConnectAsync();
        await leaving.OkAsync("subscribe", new { channel });
        var closedLog = Fixture.Log.WaitForAsync(PlainLogEvents.Closed, leaving.ConnectionId, "client_closed");

        await leaving.CloseAsync();
        var (status, _) = await leaving.WaitClosedAsync();
        await closedLog.Within();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(0, (await watcher.OkAsync("presence", new { channel })).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Namespaces_keep_their_channels_apart()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var main = await ConnectAsync("/ws");
        var other = await ConnectAsync("/ws-other");
        await main.OkAsync("subscribe", new { channel });
        await other.OkAsync("subscribe", new { channel });

        var ack = await other.OkAsync("publish", new { channel, data = "other ns" });

        Assert.Equal(1, Offset(Assert.Single(other.Pushes)));
        Assert.Equal(1, Offset(ack));
        await main.AssertNoPushesAsync();
    }

    [Fact]
    public async Task The_subprotocol_switchboard_v1_is_accepted_when_offered()
    {
        var client = Track(await PlainClient.ConnectAsync(Host, configure: o => o.AddSubProtocol("switchboard.v1")));

        Assert.Equal("switchboard.v1", client.SubProtocol);
        await client.OkAsync("ping");
    }

    [Fact]
    public async Task Each_publication_is_encoded_once_for_every_subscriber_of_the_protocol()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var result = await Fixture.Hub.PublishAsync([channel], "e", [new { n = 1 }]);
        var entry = (await Fixture.Hub.HistoryAsync(channel, null, 1)).Entries.Single();

        var first = PlainWebSocketFrames.Publication(entry);
        var again = PlainWebSocketFrames.Publication(entry with { });

        Assert.Same(first, again);
        Assert.Equal(result.Positions[channel].Offset, JsonDocument.Parse(first).RootElement.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_publication_to_several_channels_gets_one_frame_per_channel()
    {
        var a = PlainWebSocketFixture.NewChannel();
        var b = PlainWebSocketFixture.NewChannel();
        await Fixture.Hub.PublishAsync([a, b], "e", [1]);
        var entryA = (await Fixture.Hub.HistoryAsync(a, null, 1)).Entries.Single();
        var entryB = (await Fixture.Hub.HistoryAsync(b, null, 1)).Entries.Single();
        Assert.Same(entryA.Publication, entryB.Publication);

        var frameA = PlainWebSocketFrames.Publication(entryA);
        var frameB = PlainWebSocketFrames.Publication(entryB);

        Assert.Equal(a, JsonDocument.Parse(frameA).RootElement.GetProperty("channel").GetString());
        Assert.Equal(b, JsonDocument.Parse(frameB).RootElement.GetProperty("channel").GetString());
        Assert.Same(frameB, PlainWebSocketFrames.Publication(entryB));
    }
}
