using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>The subscribe, unsubscribe and publish events over a real Socket.IO connection.</summary>
public sealed class SocketChannelEventsTests(ChannelEventsFixture fixture) : IClassFixture<ChannelEventsFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private Task<ChannelSocket> Connect(object? subscribe = null, object? publish = null) =>
        ChannelSocket.ConnectAsync(fixture.Host, ChannelEventsFixture.Token(subscribe, publish));

    private async Task<StreamPosition> PublishAsync(string channel, string eventName, object data)
    {
        var result = await fixture.Hub.PublishAsync([channel], eventName, [data]).Within();
        return result.Positions[channel];
    }

    private static void AssertOk(JsonElement ack) =>
        Assert.True(ack.GetProperty("ok").GetBoolean(), $"refused: {ack}");

    private static void AssertRefused(JsonElement ack, string code)
    {
        Assert.False(ack.GetProperty("ok").GetBoolean(), $"accepted: {ack}");
        Assert.Equal(code, ack.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(ack.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Subscribe_acknowledges_the_channel_position_and_publications_then_arrive_as_events()
    {
        await using var client = await Connect(subscribe: "prices.*");
        var channel = ChannelEventsFixture.NewChannel("prices");
        await PublishAsync(channel, "tick", new { price = 99 });
        var before = await PublishAsync(channel, "tick", new { price = 100 });

        var ack = await client.EmitWithAckAsync("subscribe", new { channel });

        AssertOk(ack);
        Assert.Equal(channel, ack.GetProperty("channel").GetString());
        Assert.Equal(2, ack.GetProperty("offset").GetInt64());
        Assert.Equal(before.Epoch, ack.GetProperty("epoch").GetString());
        Assert.True(ack.GetProperty("continuous").GetBoolean());

        await PublishAsync(channel, "tick", new { price = 101 });
        var (name, args) = await client.ReceiveEventAsync();
        Assert.Equal("tick", name);
        Assert.Equal("""{"price":101}""", Assert.Single(args).GetRawText());
    }

    [Fact]
    public async Task Subscribe_since_a_position_replays_what_followed_it_before_the_ack()
    {
        await using var client = await Connect(subscribe: "prices.*");
        var channel = ChannelEventsFixture.NewChannel("prices");
        var first = await PublishAsync(channel, "tick", 1);
        await PublishAsync(channel, "tick", 2);
        await PublishAsync(channel, "tick", 3);

        var id = await client.EmitAsync("subscribe", new { channel, since = new { offset = first.Offset, epoch = first.Epoch } });

        Assert.Equal(2, (await client.ReceiveEventAsync()).Args[0].GetInt32());
        Assert.Equal(3, (await client.ReceiveEventAsync()).Args[0].GetInt32());
        var ack = await client.ReceiveAckAsync(id);
        Assert.Equal(3, ack.GetProperty("offset").GetInt64());
        Assert.True(ack.GetProperty("continuous").GetBoolean());
    }

    [Fact]
    public async Task Subscribe_since_a_position_of_another_epoch_says_it_is_not_continuous_and_replays_nothing()
    {
        await using var client = await Connect(subscribe: "prices.*");
        var channel = ChannelEventsFixture.NewChannel("prices");
        await PublishAsync(channel, "tick", 1);

        var ack = await client.EmitWithAckAsync("subscribe", new { channel, since = new { offset = 0, epoch = "gone" } });

        AssertOk(ack);
        Assert.False(ack.GetProperty("continuous").GetBoolean());
        Assert.Equal(1, ack.GetProperty("offset").GetInt64());
        await PublishAsync(channel, "tick", 2);
        Assert.Equal(2, (await client.ReceiveEventAsync()).Args[0].GetInt32());
    }

    [Fact]
    public async Task A_channel_outside_the_grant_is_refused_and_its_publications_do_not_arrive()
    {
        await using var client = await Connect(subscribe: "prices.*");
        var refusedChannel = ChannelEventsFixture.NewChannel("news");
        var allowedChannel = ChannelEventsFixture.NewChannel("prices");
        AssertOk(await client.EmitWithAckAsync("subscribe", new { channel = allowedChannel }));

        var ack = await client.EmitWithAckAsync("subscribe", new { channel = refusedChannel });

        AssertRefused(ack, "forbidden");
        await PublishAsync(refusedChannel, "headline", "not for you");
        await PublishAsync(allowedChannel, "tick", "for you");
        Assert.Equal("tick", (await client.ReceiveEventAsync()).Name);
    }

    [Fact]
    public async Task Publish_within_the_grant_is_acknowledged_with_its_offset_and_reaches_subscribers_under_its_event_name()
    {
        var channel = ChannelEventsFixture.NewChannel("chat");
        await using var reader = await Connect(subscribe: "chat.*");
        await using var writer = await Connect(publish: "chat.*");
        AssertOk(await reader.EmitWithAckAsync("subscribe", new { channel }));

        var ack = await writer.EmitWithAckAsync("publish", new { channel, @event = "said", data = new { text = "hi", n = 1 } });

        AssertOk(ack);
        Assert.Equal(channel, ack.GetProperty("channel").GetString());
        Assert.Equal(1, ack.GetProperty("offset").GetInt64());
        var (name, args) = await reader.ReceiveEventAsync();
        Assert.Equal("said", name);
        Assert.Equal("""{"text":"hi","n":1}""", Assert.Single(args).GetRawText());
        var history = await fixture.Hub.HistoryAsync(channel, null, 10).Within();
        var entry = Assert.Single(history.Entries);
        Assert.Equal(ack.GetProperty("epoch").GetString(), entry.Epoch);
        Assert.Equal("""{"text":"hi","n":1}""", System.Text.Encoding.UTF8.GetString(entry.Publication.Data.Span));
    }

    [Fact]
    public async Task Publish_without_an_event_name_sends_a_message_event()
    {
        var channel = ChannelEventsFixture.NewChannel("chat");
        await using var client = await Connect(subscribe: "chat.*", publish: "chat.*");
        AssertOk(await client.EmitWithAckAsync("subscribe", new { channel }));

        var id = await client.EmitAsync("publish", new { channel, data = "plain" });

        // The publisher is a subscriber like any other: its own publication comes back, before the ack.
        var (name, args) = await client.ReceiveEventAsync();
        Assert.Equal("message", name);
        Assert.Equal("plain", Assert.Single(args).GetString());
        AssertOk(await client.ReceiveAckAsync(id));
    }

    [Fact]
    public async Task Publish_outside_the_grant_is_refused_and_publishes_nothing()
    {
        var channel = ChannelEventsFixture.NewChannel("prices");
        await using var client = await Connect(subscribe: "*", publish: "chat.*");

        var ack = await client.EmitWithAckAsync("publish", new { channel, data = 1 });

        AssertRefused(ack, "forbidden");
        var history = await fixture.Hub.HistoryAsync(channel, null, 10).Within();
        Assert.Empty(history.Entries);
        Assert.Equal(0, history.Top.Offset);
    }

    [Fact]
    public async Task Unsubscribe_stops_delivery()
    {
        var left = ChannelEventsFixture.NewChannel("prices");
        var kept = ChannelEventsFixture.NewChannel("prices");
        await using var client = await Connect(subscribe: "prices.*");
        AssertOk(await client.EmitWithAckAsync("subscribe", new { channel = left }));
        AssertOk(await client.EmitWithAckAsync("subscribe", new { channel = kept }));

        var ack = await client.EmitWithAckAsync("unsubscribe", new { channel = left });

        AssertOk(ack);
        Assert.Equal(left, ack.GetProperty("channel").GetString());
        await PublishAsync(left, "gone", 1);
        await PublishAsync(kept, "kept", 2);
        Assert.Equal("kept", (await client.ReceiveEventAsync()).Name);
    }

    [Fact]
    public async Task Another_sockets_private_room_is_neither_readable_nor_writable_even_with_every_channel_granted()
    {
        await using var victim = await Connect();
        await using var client = await Connect(subscribe: "*", publish: "*");

        var subscribe = await client.EmitWithAckAsync("subscribe", new { channel = victim.Id });
        var publish = await client.EmitWithAckAsync("publish", new { channel = victim.Id, @event = "private", data = "spoofed" });

        AssertRefused(subscribe, "forbidden");
        AssertRefused(publish, "forbidden");
        Assert.Equal(0, (await fixture.Hub.HistoryAsync(victim.Id, null, 10).Within()).Top.Offset);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "subscribe", "" },
        { "subscribe", "\"prices.a\"" },
        { "subscribe", "{}" },
        { "subscribe", """{"channel":""}""" },
        { "subscribe", """{"channel":7}""" },
        { "subscribe", """{"channel":"prices.\u0001"}""" },
        { "subscribe", """{"channel":"prices.a\rb"}""" },
        { "subscribe", """{"channel":"prices.a\nb"}""" },
        { "subscribe", """{"channel":"prices.a\u0000b"}""" },
        { "unsubscribe", """{"channel":"prices.a\nb"}""" },
        { "publish", """{"channel":"chat.a\r\nb","data":1}""" },
        { "publish", """{"channel":"chat.a\u0000","data":1}""" },
        { "publish", """{"channel":"","data":1}""" },
        { "publish", $$"""{"channel":"chat.{{new string('x', 200)}}","data":1}""" },
        { "subscribe", $$"""{"channel":"prices.{{new string('x', 200)}}"}""" },
        { "subscribe", """{"channel":"prices.a","since":"yesterday"}""" },
        { "subscribe", """{"channel":"prices.a","since":{"offset":-1,"epoch":"e"}}""" },
        { "subscribe", """{"channel":"prices.a","since":{"offset":1.5,"epoch":"e"}}""" },
        { "subscribe", """{"channel":"prices.a","since":{"offset":1}}""" },
        { "unsubscribe", "[]" },
        { "unsubscribe", """{"channel":null}""" },
        { "publish", """{"data":1}""" },
        { "publish", """{"channel":"chat.a","event":"connect","data":1}""" },
        { "publish", """{"channel":"chat.a","event":"disconnect","data":1}""" },
        { "publish", """{"channel":"chat.a","event":5,"data":1}""" },
        { "publish", """{"channel":"chat.a","event":"","data":1}""" },
        { "publish", """{"channel":"chat.a","event":"two\nlines","data":1}""" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_refused_with_bad_request_and_the_connection_keeps_working(string eventName, string argsJson)
    {
        await using var client = await Connect(subscribe: "prices.*", publish: "chat.*");

        var ack = await client.EmitRawWithAckAsync(eventName, argsJson);

        AssertRefused(ack, "bad_request");
        AssertOk(await client.EmitWithAckAsync("subscribe", new { channel = ChannelEventsFixture.NewChannel("prices") }));
    }

    [Fact]
    public async Task A_publication_with_binary_attachments_is_refused()
    {
        var channel = ChannelEventsFixture.NewChannel("chat");
        await using var client = await Connect(subscribe: "chat.*", publish: "chat.*");

        await client.Client.SendAsync($"451-7[\"publish\",{{\"channel\":\"{channel}\",\"data\":{{\"_placeholder\":true,\"num\":0}}}}]");
        await client.Client.SendAsync(new byte[] { 1, 2, 3 });

        var reply = await client.Client.ReceiveTextAsync();
        Assert.StartsWith("437[", reply);
        AssertRefused(JsonDocument.Parse(reply[3..]).RootElement[0], "bad_request");
        Assert.Empty((await fixture.Hub.HistoryAsync(channel, null, 10).Within()).Entries);
    }
}
