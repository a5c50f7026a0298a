using System.Text.Json;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;
using static Switchboard.Client.Tests.Channels.ChannelTestKit;

namespace Switchboard.Client.Tests.Channels;

/// <summary>Publishing with acknowledgement: over the plain WebSocket, or over the HTTP API with a key.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelPublishTests
{
    [Fact]
    public async Task A_publish_over_the_WebSocket_returns_the_offset_the_subscribers_see()
    {
        await using var server = await ChannelServer.StartAsync();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.WebSocket, logs));
        await using var other = new ChannelClient(server.Uri, Options(ChannelTransport.ServerSentEvents, logs));
        var channel = ChannelServer.NewChannel();
        var own = client.Subscribe(channel);
        await using var ownItems = own.GetAsyncEnumerator();
        var theirs = other.Subscribe(channel);
        await using var theirItems = theirs.GetAsyncEnumerator();
        var start = await own.Subscribed.Within();
        await theirs.Subscribed.Within();

        var first = await client.PublishAsync(channel, new { text = "hi" }, "said").Within();
        var second = await client.PublishAsync(channel, JsonDocument.Parse("[1,2]").RootElement, echo: false).Within();

        Assert.Equal(new ChannelPublishResult(channel, 1, start.Epoch), first);
        Assert.Equal(new ChannelPublishResult(channel, 2, start.Epoch), second);
        var seen = (await theirItems.TakeAsync(2)).Cast<ChannelPublication>().ToList();
        Assert.Equal([(1L, "said", """{"text":"hi"}"""), (2L, "message", "[1,2]")], seen.Select(p => (p.Position.Offset, p.Event, p.Data.GetRawText())));
        // echo: false keeps the second from the publishing connection; the first came back to it.
        var echoed = Assert.IsType<ChannelPublication>(Assert.Single(await ownItems.TakeAsync(1)));
        Assert.Equal(1, echoed.Position.Offset);
        await server.PublishAsync(channel, 3);
        Assert.Equal(3, Assert.Single(await ownItems.TakeAsync(1)).Position.Offset);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Over_SSE_a_publish_needs_an_API_key_and_with_one_goes_over_the_HTTP_API()
    {
        await using var server = await ChannelServer.StartAsync();
        var logs = new LogRecorder();
        var channel = ChannelServer.NewChannel();
        await using (var readOnly = new ChannelClient(server.Uri, Options(ChannelTransport.ServerSentEvents, logs)))
        {
            await readOnly.Subscribe(channel).Subscribed.Within();
            var error = await Assert.ThrowsAsync<ChannelClientException>(() => readOnly.PublishAsync(channel, 1).Within());
            Assert.Equal("publish_unavailable", error.Code);
        }

        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.ServerSentEvents, logs) with { ApiKey = ChannelServer.ApiKey });
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        var start = await subscription.Subscribed.Within();
        var result = await client.PublishAsync(channel, 1, "tick").Within();
        Assert.Equal(new ChannelPublishResult(channel, 1, start.Epoch), result);
        var seen = Assert.IsType<ChannelPublication>(Assert.Single(await items.TakeAsync(1)));
        Assert.Equal((1L, "tick"), (seen.Position.Offset, seen.Event));

        await using var badKey = new ChannelClient(server.Uri, Options(ChannelTransport.LongPoll, logs) with { ApiKey = "wrong" });
        var refused = await Assert.ThrowsAsync<ChannelClientException>(() => badKey.PublishAsync(channel, 2).Within());
        Assert.Equal(("api_key_invalid", 401), (refused.Code, refused.StatusCode));
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_publish_while_connecting_waits_for_the_connection_and_a_refused_one_throws_the_servers_code()
    {
        await using var server = await ChannelServer.StartAsync(TimeProvider.System);
        var logs = new LogRecorder();
        var token = ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(10), subscribe: "*", publish: "chat.*");
        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.WebSocket, logs) with { Token = token });
        Assert.Equal(ChannelClientState.Idle, client.State);

        var result = await client.PublishAsync("chat.lobby", "hello").Within();
        Assert.Equal(("chat.lobby", 1L), (result.Channel, result.Offset));
        var error = await Assert.ThrowsAsync<ChannelClientException>(() => client.PublishAsync("news", "no").Within());
        Assert.Equal(("forbidden", ChannelTransport.WebSocket), (error.Code, error.Transport));
        Assert.Equal(ChannelClientState.Connected, client.State);
        logs.AssertNoErrors();
    }
}
