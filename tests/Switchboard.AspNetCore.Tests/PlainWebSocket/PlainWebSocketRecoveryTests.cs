using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Resuming from a position: exactly the missed publications, or an explicit discontinuity and then
/// live delivery; never a silent partial replay. One order for every subscriber, whatever the protocol.
/// </summary>
public sealed class PlainWebSocketRecoveryTests(PlainWebSocketFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainWebSocketFixture>
{
    [Fact]
    public async Task Resuming_after_a_reconnect_replays_exactly_the_missed_publications_before_the_reply_then_goes_live()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var publisher = await ConnectAsync();
        var first = await ConnectAsync();
        await first.OkAsync("subscribe", new { channel });
        for (var i = 1; i <= 3; i++)
        {
            await publisher.OkAsync("publish", new { channel, data = i });
        }
        var seen = await first.PublicationsAsync(3);
        await first.CloseAsync();
        for (var i = 4; i <= 6; i++)
        {
            await publisher.OkAsync("publish", new { channel, data = i });
        }

        var second = await ConnectAsync();
        var reply = await second.OkAsync("subscribe", new { channel, since = Position(seen[^1]) });
        var replayed = second.Pushes.ToList();
        second.Pushes.Clear();
        await publisher.OkAsync("publish", new { channel, data = 7 });
        var live = await second.NextPushAsync("pub");

        Assert.Equal([4, 5, 6], replayed.Select(p => Data(p).GetInt32()));
        Assert.Equal([4L, 5L, 6L], replayed.Select(Offset));
        Assert.Equal(6, Offset(reply));
        Assert.Equal(7, Offset(live));
        await second.AssertNoPushesAsync();
    }

    [Fact]
    public async Task Resuming_from_the_current_position_replays_nothing()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        var ack = await client.OkAsync("publish", new { channel, data = 1 });

        var reply = await client.OkAsync("subscribe", new { channel, since = Position(ack) });

        Assert.Empty(client.Pushes);
        Assert.Equal(1, Offset(reply));
    }

    [Fact]
    public async Task Resuming_from_before_the_first_publication_of_the_epoch_replays_all_of_it()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        var subscribed = await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("unsubscribe", new { channel });
        await client.OkAsync("publish", new { channel, data = 1 });
        await client.OkAsync("publish", new { channel, data = 2 });

        await client.OkAsync("subscribe", new { channel, since = Position(subscribed) });

        Assert.Equal([1L, 2L], client.Pushes.Select(Offset));
    }

    [Fact]
    public async Task When_the_history_window_was_exceeded_a_discontinuity_comes_then_live_publications()
    {
        // small.* channels keep 3 publications.
        var channel = PlainWebSocketFixture.NewChannel("small");
        var publisher = await ConnectAsync();
        var epoch = "";
        for (var i = 1; i <= 10; i++)
        {
            epoch = Epoch(await publisher.OkAsync("publish", new { channel, data = i }));
        }
        var client = await ConnectAsync();

        var reply = await client.OkAsync("subscribe", new { channel, since = new { offset = 2, epoch } });
        var notice = Assert.Single(client.Pushes);
        client.Pushes.Clear();
        await publisher.OkAsync("publish", new { channel, data = 11 });
        var live = await client.NextPushAsync("pub");

        Assert.Equal($$"""{"type":"discontinuity","channel":"{{channel}}","offset":10,"epoch":"{{epoch}}"}""", notice.GetRawText());
        Assert.Equal(10, Offset(reply));
        Assert.Equal(11, Offset(live));
        Assert.Equal(11, Data(live).GetInt32());
    }

    [Fact]
    public async Task Within_the_window_a_small_channel_still_resumes_exactly()
    {
        var channel = PlainWebSocketFixture.NewChannel("small");
        var publisher = await ConnectAsync();
        var epoch = "";
        for (var i = 1; i <= 5; i++)
        {
            epoch = Epoch(await publisher.OkAsync("publish", new { channel, data = i }));
        }
        var client = await ConnectAsync();

        await client.OkAsync("subscribe", new { channel, since = new { offset = 2, epoch } });

        Assert.Equal([3L, 4L, 5L], client.Pushes.Select(Offset));
    }

    [Fact]
    public async Task A_position_from_another_epoch_gets_a_discontinuity_with_the_current_epoch()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        var ack = await client.OkAsync("publish", new { channel, data = 1 });

        var reply = await client.OkAsync("subscribe", new { channel, since = new { offset = 1, epoch = "gone-epoch" } });

        var notice = Assert.Single(client.Pushes);
        Assert.Equal("discontinuity", notice.GetProperty("type").GetString());
        Assert.Equal(Epoch(ack), Epoch(notice));
        Assert.Equal(1, Offset(notice));
        Assert.Equal(Epoch(ack), Epoch(reply));
    }

    [Fact]
    public async Task A_position_ahead_of_the_channel_gets_a_discontinuity()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync();
        var ack = await client.OkAsync("publish", new { channel, data = 1 });

        await client.OkAsync("subscribe", new { channel, since = new { offset = 99, epoch = Epoch(ack) } });

        var notice = Assert.Single(client.Pushes);
        Assert.Equal("discontinuity", notice.GetProperty("type").GetString());
        Assert.Equal(1, Offset(notice));
    }

    [Fact]
    public async Task After_a_server_restart_the_epoch_changed_so_resuming_gets_a_discontinuity_then_live()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var log = new PlainLogRecorder();
        PlainClient client;
        JsonElement seen;
        await using (var before = await PlainWebSocketFixture.StartHostAsync(log))
        {
            client = await PlainClient.ConnectAsync(before);
            await client.OkAsync("subscribe", new { channel });
            await client.OkAsync("publish", new { channel, data = "before" });
            seen = await client.NextPushAsync("pub");
            await client.DisposeAsync();
        }
        await using var after = await PlainWebSocketFixture.StartHostAsync(log);
        client = Track(await PlainClient.ConnectAsync(after));

        var reply = await client.OkAsync("subscribe", new { channel, since = Position(seen) });
        var notice = Assert.Single(client.Pushes);
        client.Pushes.Clear();
        await client.OkAsync("publish", new { channel, data = "after" });
        var live = await client.NextPushAsync("pub");

        Assert.Equal("discontinuity", notice.GetProperty("type").GetString());
        Assert.NotEqual(Epoch(seen), Epoch(notice));
        Assert.Equal(0, Offset(notice));
        Assert.Equal(Epoch(notice), Epoch(reply));
        Assert.Equal(1, Offset(live));
        Assert.Equal(Epoch(notice), Epoch(live));
        after.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_Socket_IO_room_emit_and_a_plain_publish_reach_the_same_subscribers_in_one_order()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var plain = await ConnectAsync();
        var publisher = await ConnectAsync();
        await plain.OkAsync("subscribe", new { channel });
        var (socketIo, socketId) = await SocketIOTestClient.ConnectAsync(Host);
        Track(socketIo);
        Fixture.Io.Main.Sockets[socketId].Join(channel);

        await Fixture.Io.To(channel).EmitAsync("tick", 1);
        var ack = await publisher.OkAsync("publish", new { channel, @event = "msg", data = new { text = "from plain" } });

        var fromRoom = await plain.NextPushAsync("pub");
        var fromPlain = await plain.NextPushAsync("pub");
        Assert.Equal(("tick", 1L, 1), (fromRoom.GetProperty("event").GetString(), Offset(fromRoom), Data(fromRoom).GetInt32()));
        Assert.Equal(("msg", 2L), (fromPlain.GetProperty("event").GetString(), Offset(fromPlain)));
        Assert.Equal(2, Offset(ack));
        Assert.Equal("from plain", Data(fromPlain).GetProperty("text").GetString());
        Assert.Equal("42[\"tick\",1]", await socketIo.ReceiveTextAsync());
        Assert.Equal("42[\"msg\",{\"text\":\"from plain\"}]", await socketIo.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_plain_publish_with_echo_false_still_reaches_Socket_IO_members()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var publisher = await ConnectAsync();
        await publisher.OkAsync("subscribe", new { channel });
        var (socketIo, socketId) = await SocketIOTestClient.ConnectAsync(Host);
        Track(socketIo);
        Fixture.Io.Main.Sockets[socketId].Join(channel);

        await publisher.OkAsync("publish", new { channel, @event = "msg", data = 5, echo = false });

        Assert.Equal("42[\"msg\",5]", await socketIo.ReceiveTextAsync());
        await publisher.AssertNoPushesAsync();
    }

    [Fact]
    public async Task Concurrent_publishers_produce_one_order_that_every_subscriber_sees()
    {
        const int publishers = 4;
        const int each = 25;
        var channel = PlainWebSocketFixture.NewChannel();
        var a = await ConnectAsync();
        var b = await ConnectAsync();
        await a.OkAsync("subscribe", new { channel });
        await b.OkAsync("subscribe", new { channel });
        var clients = new List<PlainClient>();
        for (var p = 0; p < publishers; p++)
        {
            clients.Add(await ConnectAsync());
        }

        // Each publisher pipelines its requests, so publications from all of them interleave on the server.
        var acks = await Task.WhenAll(clients.Select(async (client, p) =>
        {
            for (var i = 1; i <= each; i++)
            {
                await client.SendTextAsync(PlainClient.Request(i, "publish", new { channel, data = new { p, i } }));
            }
            var offsets = new List<long>();
            for (var i = 1; i <= each; i++)
            {
                offsets.Add(Offset(await client.ReplyAsync(i)));
            }
            return offsets;
        }));
        var seenByA = await a.PublicationsAsync(publishers * each);
        var seenByB = await b.PublicationsAsync(publishers * each);

        Assert.Equal(Enumerable.Range(1, publishers * each).Select(i => (long)i), seenByA.Select(Offset));
        Assert.Equal(seenByA.Select(p => p.GetRawText()), seenByB.Select(p => p.GetRawText()));
        Assert.Equal(Enumerable.Range(1, publishers * each).Select(i => (long)i), acks.SelectMany(o => o).Order());
        // Each publisher's own publications keep the order it sent them in.
        foreach (var group in seenByA.GroupBy(p => Data(p).GetProperty("p").GetInt32()))
        {
            Assert.Equal(Enumerable.Range(1, each), group.Select(p => Data(p).GetProperty("i").GetInt32()));
        }
        await a.AssertNoPushesAsync();
    }
}
