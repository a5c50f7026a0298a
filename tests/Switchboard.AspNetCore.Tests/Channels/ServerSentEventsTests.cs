using System.Net;
using System.Text.Json;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>The SSE endpoint over a real Kestrel: framing, headers, heartbeats, delivery, release.</summary>
public sealed class ServerSentEventsTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }

    private async Task<SseTestClient> ConnectAsync(string query, string? lastEventId = null, string path = "/sse")
    {
        var client = await fixture.ConnectSseAsync(query, lastEventId, path);
        _clients.Add(client);
        return client;
    }

    [Fact]
    public async Task The_stream_has_the_event_stream_headers_then_retry_and_a_subscribed_event_with_the_start_positions()
    {
        var channel = ChannelsFixture.NewChannel();
        await fixture.Api.PublishAsync(channel, "1");
        var client = await SseTestClient.OpenAsync(fixture.Host.BaseAddress, "/sse-fast?" + ChannelsFixture.Query(channel));
        _clients.Add(client);

        Assert.Equal(HttpStatusCode.OK, client.Response.StatusCode);
        Assert.Equal("text/event-stream", client.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache, no-transform", client.Response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.Equal("no", Assert.Single(client.Response.Headers.GetValues("X-Accel-Buffering")));
        Assert.Equal(250, (await client.ReadAsync()).Retry);
        var subscribed = await client.NextEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        var data = subscribed.Json;
        Assert.False(string.IsNullOrEmpty(data.GetProperty("connectionId").GetString()));
        Assert.False(data.GetProperty("resumed").GetBoolean());
        var position = Assert.Single(data.GetProperty("channels").EnumerateArray());
        Assert.Equal(channel, position.GetProperty("channel").GetString());
        Assert.Equal(1, position.GetProperty("offset").GetInt64());
        var epoch = position.GetProperty("epoch").GetString()!;
        Assert.Equal(ChannelCursor.Format([new StreamPosition(1, epoch)]), subscribed.Id);
    }

    [Fact]
    public async Task A_publication_arrives_as_an_event_named_after_it_with_the_cursor_as_id_and_the_publication_as_data()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(channel));

        var published = await fixture.Api.PublishAsync(channel, "{\"price\":1.5,\"text\":\"a\\nb\"}", eventName: "tick");

        var frame = await client.NextEventAsync();
        var result = published.GetProperty("results").GetProperty(channel);
        var epoch = result.GetProperty("epoch").GetString()!;
        Assert.Equal("tick", frame.Event);
        Assert.Equal(ChannelCursor.Format([new StreamPosition(1, epoch)]), frame.Id);
        var data = frame.Json;
        Assert.Equal(channel, data.GetProperty("channel").GetString());
        Assert.Equal(1, data.GetProperty("offset").GetInt64());
        Assert.Equal(epoch, data.GetProperty("epoch").GetString());
        Assert.Equal("tick", data.GetProperty("event").GetString());
        Assert.Equal("{\"price\":1.5,\"text\":\"a\\nb\"}", data.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task Data_with_line_breaks_is_split_into_data_lines_and_arrives_whole()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(channel));
        var (socket, _) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        _clients.Add(socket);

        // Socket.IO arguments are relayed as their bytes, whitespace and every kind of line break included.
        await socket.SendAsync($"421[\"relay\",\"{channel}\",{{\r\n \"a\": 1,\n \"b\": [2,\r 3]\n}}]");
        Assert.Equal("431[\"ok\"]", await socket.ReceiveTextAsync());

        var frame = await client.NextEventAsync();
        Assert.Equal("relayed", frame.Event);
        var data = frame.Json.GetProperty("data");
        Assert.Equal(channel, data[0].GetString());
        Assert.Equal(1, data[1].GetProperty("a").GetInt32());
        Assert.Equal(3, data[1].GetProperty("b")[1].GetInt32());
        Assert.Contains("\n", frame.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_publication_with_a_reserved_event_name_arrives_as_message_with_its_name_in_the_data()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(channel));

        await fixture.Api.PublishAsync(channel, "1", eventName: "error");

        var frame = await client.NextEventAsync();
        Assert.Equal("message", frame.Event);
        Assert.Equal("error", frame.Json.GetProperty("event").GetString());
    }

    [Fact]
    public async Task A_stream_of_several_channels_gets_each_channels_publications_and_a_cursor_over_all_of_them()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(a, b));

        var first = await fixture.Api.PublishAsync(a, "\"a1\"");
        var second = await fixture.Api.PublishAsync(b, "\"b1\"");
        await fixture.Api.PublishAsync(a, "\"a2\"");

        var epochA = first.GetProperty("results").GetProperty(a).GetProperty("epoch").GetString()!;
        var epochB = second.GetProperty("results").GetProperty(b).GetProperty("epoch").GetString()!;
        var e1 = await client.NextEventAsync();
        var e2 = await client.NextEventAsync();
        var e3 = await client.NextEventAsync();
        Assert.Equal(new[] { "a1", "b1", "a2" }, new[] { e1, e2, e3 }.Select(e => e.Json.GetProperty("data").GetString()));
        Assert.Equal(ChannelCursor.Format([new(1, epochA), new(0, epochB)]), e1.Id);
        Assert.Equal(ChannelCursor.Format([new(1, epochA), new(1, epochB)]), e2.Id);
        Assert.Equal(ChannelCursor.Format([new(2, epochA), new(1, epochB)]), e3.Id);
    }

    [Fact]
    public async Task Streams_at_different_positions_get_a_publication_as_the_same_event_each_with_its_own_cursor()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var first = await fixture.Api.PublishAsync(b, "\"b1\"");
        var onlyA = await ConnectAsync(ChannelsFixture.Query(a));
        var bThenA = await ConnectAsync(ChannelsFixture.Query(b, a));

        // Encoded once for both streams: only the id differs.
        var published = await fixture.Api.PublishAsync(a, "{\"text\":\"x\\ny\"}", eventName: "tick");

        var epochA = published.GetProperty("results").GetProperty(a).GetProperty("epoch").GetString()!;
        var epochB = first.GetProperty("results").GetProperty(b).GetProperty("epoch").GetString()!;
        var one = await onlyA.NextEventAsync();
        var other = await bThenA.NextEventAsync();
        Assert.Equal(ChannelCursor.Format([new(1, epochA)]), one.Id);
        Assert.Equal(ChannelCursor.Format([new(1, epochB), new(1, epochA)]), other.Id);
        Assert.Equal(("tick", one.Data), (other.Event, other.Data));
        Assert.Equal("{\"text\":\"x\\ny\"}", one.Json.GetProperty("data").GetRawText());
    }

    [Fact]
    public async Task An_idle_stream_gets_ping_comments()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(channel), path: "/sse-fast");

        var first = await client.ReadAsync();
        var second = await client.ReadAsync();

        Assert.Equal(new SseFrame(SseFrameKind.Comment, Comment: "ping"), first);
        Assert.Equal(new SseFrame(SseFrameKind.Comment, Comment: "ping"), second);
    }

    [Fact]
    public async Task When_the_client_goes_the_connection_is_unsubscribed_and_unregistered()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await fixture.ConnectSseAsync(ChannelsFixture.Query(channel));
        var id = client.ConnectionId;
        Assert.Equal(1, fixture.Hub.PresenceCount(channel));

        var ended = fixture.Logs.WhenLogged(e => e.EventId.Id == 303 && e.Message.Contains(id, StringComparison.Ordinal));
        await client.DisposeAsync();
        await ended;

        Assert.Equal(0, fixture.Hub.PresenceCount(channel));
        Assert.False(fixture.Hub.Disconnect(id), "The connection is still registered with the hub.");
    }

    [Fact]
    public async Task Disconnect_by_id_sends_a_close_event_and_ends_the_stream()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await ConnectAsync(ChannelsFixture.Query(channel));

        Assert.True(fixture.Hub.Disconnect(client.ConnectionId, "maintenance"));

        var events = await client.ReadToEndAsync();
        var close = Assert.Single(events);
        Assert.Equal("close", close.Event);
        Assert.Equal("maintenance", close.Json.GetProperty("reason").GetString());
        Assert.Equal(0, fixture.Hub.PresenceCount(channel));
    }

    [Fact]
    public async Task A_socket_io_room_emit_and_an_http_publish_reach_the_same_sse_subscriber_in_one_order()
    {
        var channel = ChannelsFixture.NewChannel();
        var sse = await ConnectAsync(ChannelsFixture.Query(channel));
        var (socketClient, socketId) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        _clients.Add(socketClient);
        Infrastructure.SocketIOFixture.ServerSocket(fixture.Io.Main, socketId).Join(channel);

        await fixture.Io.To(channel).EmitAsync("tick", new { from = "socket.io" });
        await fixture.Api.PublishAsync(channel, "{\"from\":\"http\"}", eventName: "tick");

        var first = await sse.NextPublicationAsync();
        var second = await sse.NextPublicationAsync();
        Assert.Equal(("socket.io", 1L), (first.GetProperty("data").GetProperty("from").GetString(), first.GetProperty("offset").GetInt64()));
        Assert.Equal(("http", 2L), (second.GetProperty("data").GetProperty("from").GetString(), second.GetProperty("offset").GetInt64()));
        Assert.Equal("42[\"tick\",{\"from\":\"socket.io\"}]", await socketClient.ReceiveTextAsync());
        Assert.Equal("42[\"tick\",{\"from\":\"http\"}]", await socketClient.ReceiveTextAsync());
    }

    [Fact]
    public async Task The_token_may_come_in_the_query_string_as_EventSource_cannot_set_headers()
    {
        var channel = ChannelsFixture.NewChannel();
        var client = await SseTestClient.OpenAsync(fixture.Host.BaseAddress, $"/sse?{ChannelsFixture.Query(channel)}&token={TestChannelAuthorizer.Good}", token: null);
        _clients.Add(client);

        Assert.Equal(HttpStatusCode.OK, client.Response.StatusCode);
        Assert.Equal(SseFrameKind.Retry, (await client.ReadAsync()).Kind);
        Assert.Equal("subscribed", (await client.NextEventAsync()).Event);
    }
}
