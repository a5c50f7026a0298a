using System.Threading.Channels;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;
using static Switchboard.Client.Tests.Channels.ChannelTestKit;

namespace Switchboard.Client.Tests.Channels;

/// <summary>Transport fallback: WebSocket refused → SSE; both refused → long-poll; and back to the WebSocket when it works again.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelFallbackTests
{
    [Fact]
    public async Task A_refused_WebSocket_falls_back_to_SSE_and_a_refused_SSE_to_long_poll_with_positions_kept()
    {
        await using var server = await ChannelServer.StartAsync();
        server.Block("/ws");
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(null, logs));
        var failures = Channel.CreateUnbounded<ChannelClientException>();
        client.TransportFailed += e => failures.Writer.TryWrite(e);
        var channel = ChannelServer.NewChannel();
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        await subscription.Subscribed.Within();

        Assert.Equal(ChannelTransport.ServerSentEvents, client.Transport);
        var refused = await failures.Reader.ReadAsync().AsTask().Within();
        Assert.Equal((ChannelTransport.WebSocket, 403), (refused.Transport, refused.StatusCode));
        Assert.Equal(1, server.Requests("/ws"));
        var (_, epoch) = await server.PublishAsync(channel, 1);
        AssertOffsets(await items.TakeAsync(1), epoch, 1);

        // Now SSE is refused too: the reconnect after the cut goes to long-poll, from the same position.
        server.Block("/sse");
        Assert.True(server.Cut("/sse") > 0);
        await server.PublishAsync(channel, 2);
        AssertOffsets(await items.TakeAsync(1), epoch, 2);
        Assert.Equal(ChannelTransport.LongPoll, client.Transport);
        var sseRefused = await failures.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(ChannelTransport.WebSocket, sseRefused.Transport);
        sseRefused = await failures.Reader.ReadAsync().AsTask().Within();
        Assert.Equal((ChannelTransport.ServerSentEvents, 403), (sseRefused.Transport, sseRefused.StatusCode));

        // Every connect starts from the first transport: once the WebSocket works again, the next reconnect uses it.
        server.Unblock("/ws", "/sse");
        await server.WhenOpenAsync("/poll");
        server.Cut("/poll");
        await server.PublishAsync(channel, 3);
        AssertOffsets(await items.TakeAsync(1), epoch, 3);
        await server.PublishAsync(channel, 4);
        AssertOffsets(await items.TakeAsync(1), epoch, 4);
        Assert.Equal(4, subscription.Position?.Offset);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task The_WebSocket_is_used_again_once_it_works()
    {
        await using var server = await ChannelServer.StartAsync();
        server.Block("/ws");
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(null, logs));
        var connected = Channel.CreateUnbounded<ChannelTransport?>();
        client.StateChanged += s =>
        {
            if (s == ChannelClientState.Connected)
            {
                connected.Writer.TryWrite(client.Transport);
            }
        };
        var channel = ChannelServer.NewChannel();
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        Assert.Equal(ChannelTransport.ServerSentEvents, await connected.Reader.ReadAsync().AsTask().Within());

        server.Unblock("/ws");
        Assert.True(server.Cut("/sse") > 0);
        Assert.Equal(ChannelTransport.WebSocket, await connected.Reader.ReadAsync().AsTask().Within());
        var (_, epoch) = await server.PublishAsync(channel, 1);
        AssertOffsets(await items.TakeAsync(1), epoch, 1);
        var result = await client.PublishAsync(channel, 2).Within();
        Assert.Equal(2, result.Offset);
        AssertOffsets(await items.TakeAsync(1), epoch, 2);
        logs.AssertNoErrors();
    }
}
