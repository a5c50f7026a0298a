using System.Text.Json;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// Resuming an SSE stream by cursor: the server drops the stream mid-way, the client reconnects with
/// <c>Last-Event-ID</c> (or <c>?lastEventId=</c>), and gets exactly what it missed; positions that cannot
/// be continued get an explicit discontinuity.
/// </summary>
public sealed class ServerSentEventsRecoveryTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    private readonly List<SseTestClient> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }

    private async Task<SseTestClient> ConnectAsync(string query, string? lastEventId = null)
    {
        var client = await fixture.ConnectSseAsync(query, lastEventId);
        _clients.Add(client);
        return client;
    }

    private Task PublishAsync(string channel, int n) => fixture.Api.PublishAsync(channel, n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Drops the stream from the server side and waits until it has ended.</summary>
    private async Task DropAsync(SseTestClient client)
    {
        Assert.True(fixture.Hub.Disconnect(client.ConnectionId, "test drop"));
        var rest = await client.ReadToEndAsync();
        Assert.Equal("close", Assert.Single(rest).Event);
    }

    private static async Task<List<int>> ReadNumbersAsync(SseTestClient client, int count)
    {
        var numbers = new List<int>();
        for (var i = 0; i < count; i++)
        {
            numbers.Add((await client.NextPublicationAsync()).GetProperty("data").GetInt32());
        }
        return numbers;
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_after_a_server_drop_delivers_every_missed_publication_once_in_order()
    {
        var channel = ChannelsFixture.NewChannel();
        var first = await ConnectAsync(ChannelsFixture.Query(channel));
        for (var i = 1; i <= 3; i++)
        {
            await PublishAsync(channel, i);
        }
        Assert.Equal([1, 2, 3], await ReadNumbersAsync(first, 3));

        await DropAsync(first);
        for (var i = 4; i <= 6; i++)
        {
            await PublishAsync(channel, i);
        }
        var second = await ConnectAsync(ChannelsFixture.Query(channel), lastEventId: first.LastEventId);
        await PublishAsync(channel, 7);

        Assert.True(second.Subscribed.GetProperty("resumed").GetBoolean());
        Assert.Equal([4, 5, 6, 7], await ReadNumbersAsync(second, 4));
        await PublishAsync(channel, 8);
        Assert.Equal([8], await ReadNumbersAsync(second, 1));
    }

    [Fact]
    public async Task A_replay_larger_than_a_write_batch_with_an_event_larger_than_the_batch_buffer_arrives_whole_and_in_order()
    {
        var channel = ChannelsFixture.NewChannel();
        var text = new string('x', 400);
        var large = new string('y', 10_000);
        string? epoch = null;
        for (var i = 1; i <= 60; i++)
        {
            var published = await fixture.Hub.PublishAsync([channel], "n", [i, i == 30 ? large : text]).Within();
            epoch = published.Positions[channel].Epoch;
        }

        // Everything is owed at once: the stream writes it in batches, one event alone bigger than a batch.
        var client = await ConnectAsync(ChannelsFixture.Query(channel), lastEventId: ChannelCursor.Format([new(0, epoch!)]));

        for (var i = 1; i <= 60; i++)
        {
            var frame = await client.NextEventAsync();
            Assert.Equal(ChannelCursor.Format([new(i, epoch!)]), frame.Id);
            var data = frame.Json.GetProperty("data");
            Assert.Equal(i, data[0].GetInt32());
            Assert.Equal(i == 30 ? large : text, data[1].GetString());
        }
        await PublishAsync(channel, 61);
        Assert.Equal([61], await ReadNumbersAsync(client, 1));
    }

    [Fact]
    public async Task The_lastEventId_query_parameter_resumes_like_the_header()
    {
        var channel = ChannelsFixture.NewChannel();
        var first = await ConnectAsync(ChannelsFixture.Query(channel));
        await PublishAsync(channel, 1);
        await ReadNumbersAsync(first, 1);
        await DropAsync(first);
        await PublishAsync(channel, 2);

        var second = await ConnectAsync($"{ChannelsFixture.Query(channel)}&lastEventId={first.LastEventId}");

        Assert.Equal([2], await ReadNumbersAsync(second, 1));
    }

    [Fact]
    public async Task The_Last_Event_ID_header_wins_over_the_query_parameter_as_EventSource_keeps_its_first_url()
    {
        var channel = ChannelsFixture.NewChannel();
        var first = await ConnectAsync(ChannelsFixture.Query(channel));
        var initialCursor = first.LastEventId;
        await PublishAsync(channel, 1);
        await ReadNumbersAsync(first, 1);
        await DropAsync(first);
        await PublishAsync(channel, 2);

        var second = await ConnectAsync($"{ChannelsFixture.Query(channel)}&lastEventId={initialCursor}", lastEventId: first.LastEventId);

        Assert.Equal([2], await ReadNumbersAsync(second, 1));
    }

    [Fact]
    public async Task Each_channel_of_a_stream_resumes_from_its_own_position()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var first = await ConnectAsync(ChannelsFixture.Query(a, b));
        await fixture.Api.PublishAsync(a, "\"a1\"");
        await fixture.Api.PublishAsync(b, "\"b1\"");
        await first.NextPublicationAsync();
        await first.NextPublicationAsync();
        await DropAsync(first);
        await fixture.Api.PublishAsync(b, "\"b2\"");
        await fixture.Api.PublishAsync(a, "\"a2\"");
        await fixture.Api.PublishAsync(b, "\"b3\"");

        var second = await ConnectAsync(ChannelsFixture.Query(a, b), lastEventId: first.LastEventId);

        var missed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            missed.Add((await second.NextPublicationAsync()).GetProperty("data").GetString()!);
        }
        // Per-channel order holds; the channels are replayed one after the other.
        Assert.Equal(["a2", "b2", "b3"], missed);
    }

    [Fact]
    public async Task Resuming_beyond_the_history_window_gets_a_discontinuity_then_live_publications()
    {
        var channel = ChannelsFixture.NewChannel("small");
        var first = await ConnectAsync(ChannelsFixture.Query(channel));
        await PublishAsync(channel, 1);
        await ReadNumbersAsync(first, 1);
        await DropAsync(first);
        for (var i = 2; i <= 2 + ChannelsFixture.SmallHistory; i++)
        {
            await PublishAsync(channel, i);
        }

        var second = await ConnectAsync(ChannelsFixture.Query(channel), lastEventId: first.LastEventId);
        var discontinuity = await second.NextEventAsync();
        await PublishAsync(channel, 100);

        Assert.Equal("discontinuity", discontinuity.Event);
        var data = discontinuity.Json;
        Assert.Equal(channel, data.GetProperty("channel").GetString());
        Assert.Equal(2 + ChannelsFixture.SmallHistory, data.GetProperty("offset").GetInt64());
        Assert.Equal(ChannelCursor.Format([new(2 + ChannelsFixture.SmallHistory, data.GetProperty("epoch").GetString()!)]), discontinuity.Id);
        Assert.Equal([100], await ReadNumbersAsync(second, 1));
    }

    [Fact]
    public async Task A_cursor_from_another_epoch_gets_a_discontinuity_for_that_channel_only()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var first = await ConnectAsync(ChannelsFixture.Query(a, b));
        await fixture.Api.PublishAsync(a, "1");
        await fixture.Api.PublishAsync(b, "1");
        await first.NextPublicationAsync();
        var last = await first.NextEventAsync();
        await DropAsync(first);
        await fixture.Api.PublishAsync(a, "2");
        await fixture.Api.PublishAsync(b, "2");
        Assert.True(ChannelCursor.TryParse(last.Id, 2, out var positions));
        var foreign = ChannelCursor.Format([positions[0], new(positions[1].Offset, "another-epoch")]);

        var second = await ConnectAsync(ChannelsFixture.Query(a, b), lastEventId: foreign);

        var replayed = await second.NextEventAsync();
        Assert.Equal((a, 2), (replayed.Json.GetProperty("channel").GetString(), replayed.Json.GetProperty("data").GetInt32()));
        var discontinuity = await second.NextEventAsync();
        Assert.Equal("discontinuity", discontinuity.Event);
        Assert.Equal(b, discontinuity.Json.GetProperty("channel").GetString());
        Assert.Equal(positions[1].Epoch, discontinuity.Json.GetProperty("epoch").GetString());
        Assert.Equal(2, discontinuity.Json.GetProperty("offset").GetInt64());
        await fixture.Api.PublishAsync(b, "3");
        Assert.Equal(3, (await second.NextPublicationAsync()).GetProperty("data").GetInt32());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("v1~1.abc")]
    public async Task A_malformed_cursor_gets_a_logged_discontinuity_for_every_channel_then_live_publications(string cursor)
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        await fixture.Api.PublishAsync(a, "1");
        var mark = fixture.Logs.Mark();

        var client = await ConnectAsync(ChannelsFixture.Query(a, b), lastEventId: cursor);
        var first = await client.NextEventAsync();
        var second = await client.NextEventAsync();
        await fixture.Api.PublishAsync(a, "2");

        Assert.False(client.Subscribed.GetProperty("resumed").GetBoolean());
        Assert.Equal(("discontinuity", a, 1L), (first.Event, first.Json.GetProperty("channel").GetString(), first.Json.GetProperty("offset").GetInt64()));
        Assert.Equal(("discontinuity", b, 0L), (second.Event, second.Json.GetProperty("channel").GetString(), second.Json.GetProperty("offset").GetInt64()));
        Assert.Equal(2, (await client.NextPublicationAsync()).GetProperty("data").GetInt32());
        await fixture.Logs.WhenLogged(e => e.EventId.Id == 301 && e.Message.Contains(client.ConnectionId, StringComparison.Ordinal), mark);
    }

    [Fact]
    public async Task Concurrent_publishers_on_one_channel_are_seen_in_the_same_order_by_every_subscriber()
    {
        const int Publishers = 4, Each = 25;
        var channel = ChannelsFixture.NewChannel();
        var one = await ConnectAsync(ChannelsFixture.Query(channel));
        var two = await ConnectAsync(ChannelsFixture.Query(channel));

        await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < Each; i++)
            {
                await fixture.Api.PublishAsync(channel, $"\"{p}-{i}\"");
            }
        })));

        async Task<List<(long Offset, string Data)>> ReadAllAsync(SseTestClient client)
        {
            var seen = new List<(long, string)>();
            for (var i = 0; i < Publishers * Each; i++)
            {
                var publication = await client.NextPublicationAsync();
                seen.Add((publication.GetProperty("offset").GetInt64(), publication.GetProperty("data").GetString()!));
            }
            return seen;
        }
        var seenByOne = await ReadAllAsync(one);
        var seenByTwo = await ReadAllAsync(two);

        Assert.Equal(seenByOne, seenByTwo);
        Assert.Equal(Enumerable.Range(1, Publishers * Each).Select(i => (long)i), seenByOne.Select(s => s.Offset));
        Assert.Equal(Publishers * Each, seenByOne.Select(s => s.Data).Distinct().Count());
        for (var p = 0; p < Publishers; p++)
        {
            // Each publisher's own publications keep the order it made them in.
            Assert.Equal(Enumerable.Range(0, Each).Select(i => $"{p}-{i}"), seenByOne.Select(s => s.Data).Where(d => d.StartsWith($"{p}-", StringComparison.Ordinal)));
        }
    }
}
