using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>The long-poll endpoint: held polls, resuming by cursor, discontinuities.</summary>
public sealed class LongPollTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fixture.Host.Logs.AssertNoErrors();
        return Task.CompletedTask;
    }

    private static string Cursor(JsonElement answer) => answer.GetProperty("cursor").GetString()!;

    private static int[] Numbers(JsonElement answer) => [.. answer.GetProperty("publications").EnumerateArray().Select(p => p.GetProperty("data").GetInt32())];

    private Task PublishAsync(string channel, int n) => fixture.Api.PublishAsync(channel, n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A poll with timeout=0: answered at once with what there is.</summary>
    private Task<JsonElement> PollNowAsync(string query) => fixture.Api.PollAsync(query + "&timeout=0");

    [Fact]
    public async Task A_poll_without_a_cursor_starts_from_now_and_answers_empty_with_the_current_cursor_at_its_timeout()
    {
        var channel = ChannelsFixture.NewChannel();
        var published = await fixture.Api.PublishAsync(channel, "1");
        var epoch = published.GetProperty("results").GetProperty(channel).GetProperty("epoch").GetString()!;

        var started = Stopwatch.GetTimestamp();
        var answer = await fixture.Api.PollAsync(ChannelsFixture.Query(channel) + "&timeout=1");

        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(900), "The poll was not held for its timeout.");
        Assert.Empty(answer.GetProperty("publications").EnumerateArray());
        Assert.Empty(answer.GetProperty("discontinuities").EnumerateArray());
        Assert.Equal(ChannelCursor.Format([new StreamPosition(1, epoch)]), Cursor(answer));
    }

    [Fact]
    public async Task A_held_poll_is_answered_as_soon_as_a_publication_arrives()
    {
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));

        var mark = fixture.Logs.Mark();
        var poll = fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}&timeout=20");
        await fixture.Logs.WhenPollHeld(channel, mark);
        Assert.False(poll.IsCompleted);
        await PublishAsync(channel, 7);
        var answer = await poll;

        var publication = Assert.Single(answer.GetProperty("publications").EnumerateArray());
        Assert.Equal(channel, publication.GetProperty("channel").GetString());
        Assert.Equal(1, publication.GetProperty("offset").GetInt64());
        Assert.Equal("message", publication.GetProperty("event").GetString());
        Assert.Equal(7, publication.GetProperty("data").GetInt32());
        Assert.Equal(ChannelCursor.Format([new StreamPosition(1, publication.GetProperty("epoch").GetString()!)]), Cursor(answer));
    }

    [Fact]
    public async Task Polls_resume_by_cursor_so_publications_made_between_them_are_neither_lost_nor_repeated()
    {
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));
        await PublishAsync(channel, 1);
        await PublishAsync(channel, 2);

        var first = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}");
        await PublishAsync(channel, 3);
        var second = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={Cursor(first)}");
        var third = await PollNowAsync($"{ChannelsFixture.Query(channel)}&cursor={Cursor(second)}");

        Assert.Equal([1, 2], Numbers(first));
        Assert.Equal([3], Numbers(second));
        Assert.Empty(Numbers(third));
        Assert.Equal(Cursor(second), Cursor(third));
    }

    [Fact]
    public async Task Consecutive_polls_during_concurrent_publishing_see_every_publication_exactly_once_in_order()
    {
        const int Count = 60;
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));

        var publisher = Task.Run(async () =>
        {
            for (var i = 1; i <= Count; i++)
            {
                await PublishAsync(channel, i);
            }
        });
        var seen = new List<int>();
        while (seen.Count < Count)
        {
            var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}&timeout=5");
            seen.AddRange(Numbers(answer));
            cursor = Cursor(answer);
        }
        await publisher.Within();

        Assert.Equal(Enumerable.Range(1, Count), seen);
    }

    [Fact]
    public async Task A_poll_of_several_channels_keeps_each_channels_position_in_the_cursor()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(a, b)));
        await PublishAsync(b, 1);
        await PublishAsync(a, 2);
        await PublishAsync(b, 3);

        var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(a, b)}&cursor={cursor}");

        var publications = answer.GetProperty("publications").EnumerateArray().Select(p => (p.GetProperty("channel").GetString(), p.GetProperty("data").GetInt32())).ToArray();
        Assert.Equal([(a, 2), (b, 1), (b, 3)], publications);
        Assert.True(ChannelCursor.TryParse(Cursor(answer), 2, out var positions));
        Assert.Equal([1L, 2L], positions.Select(p => p.Offset));
    }

    [Fact]
    public async Task A_backlog_larger_than_one_answer_comes_over_several_polls()
    {
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));
        for (var i = 1; i <= 7; i++)
        {
            await PublishAsync(channel, i);
        }

        var first = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}", "/poll-paged");
        var second = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={Cursor(first)}", "/poll-paged");
        var third = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={Cursor(second)}", "/poll-paged");

        Assert.Equal([1, 2, 3], Numbers(first));
        Assert.Equal([4, 5, 6], Numbers(second));
        Assert.Equal([7], Numbers(third));
    }

    [Fact]
    public async Task A_cursor_beyond_the_history_window_is_answered_with_a_discontinuity_and_the_next_poll_continues_live()
    {
        var channel = ChannelsFixture.NewChannel("small");
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));
        for (var i = 1; i <= ChannelsFixture.SmallHistory + 1; i++)
        {
            await PublishAsync(channel, i);
        }

        var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}");
        await PublishAsync(channel, 100);
        var next = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={Cursor(answer)}");

        Assert.Empty(Numbers(answer));
        var discontinuity = Assert.Single(answer.GetProperty("discontinuities").EnumerateArray());
        Assert.Equal(channel, discontinuity.GetProperty("channel").GetString());
        Assert.Equal(ChannelsFixture.SmallHistory + 1, discontinuity.GetProperty("offset").GetInt64());
        Assert.Equal(ChannelCursor.Format([new(ChannelsFixture.SmallHistory + 1, discontinuity.GetProperty("epoch").GetString()!)]), Cursor(answer));
        Assert.Equal([100], Numbers(next));
    }

    [Fact]
    public async Task A_cursor_from_another_epoch_is_answered_with_a_discontinuity()
    {
        var channel = ChannelsFixture.NewChannel();
        await PublishAsync(channel, 1);
        var foreign = ChannelCursor.Format([new StreamPosition(1, "old-epoch")]);

        var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={foreign}");

        var discontinuity = Assert.Single(answer.GetProperty("discontinuities").EnumerateArray());
        Assert.Equal(1, discontinuity.GetProperty("offset").GetInt64());
        Assert.NotEqual("old-epoch", discontinuity.GetProperty("epoch").GetString());
        Assert.Empty(Numbers(answer));
    }

    [Fact]
    public async Task A_malformed_cursor_is_logged_and_answered_with_a_discontinuity_for_every_channel()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        var mark = fixture.Logs.Mark();

        var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(a, b)}&cursor=not-a-cursor");

        Assert.Equal([a, b], answer.GetProperty("discontinuities").EnumerateArray().Select(d => d.GetProperty("channel").GetString()));
        Assert.True(ChannelCursor.TryParse(Cursor(answer), 2, out _));
        await fixture.Logs.WhenLogged(e => e.EventId.Id == 301 && e.Message.StartsWith("Long-poll", StringComparison.Ordinal), mark);
    }

    [Fact]
    public async Task A_held_poll_disconnected_through_the_api_is_answered_at_once_with_its_cursor_unchanged()
    {
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));
        var mark = fixture.Logs.Mark();
        var poll = fixture.Api.PollAsync($"{ChannelsFixture.Query(channel)}&cursor={cursor}&timeout=20");
        var connectionId = await fixture.Logs.WhenPollHeld(channel, mark);
        Assert.Equal(1, fixture.Hub.PresenceCount(channel));

        using var disconnect = await fixture.Api.PostJsonAsync("/api/disconnect", $"{{\"connectionId\":\"{connectionId}\"}}");
        var answer = await poll;

        Assert.Equal(HttpStatusCode.OK, disconnect.StatusCode);
        Assert.Empty(Numbers(answer));
        Assert.Equal(cursor, Cursor(answer));
        await fixture.Logs.WhenLogged(e => e.EventId.Id == 310 && e["ConnectionId"] == connectionId, mark);
        Assert.Equal(0, fixture.Hub.PresenceCount(channel));
    }

    [Fact]
    public async Task A_held_poll_whose_client_goes_away_ends_at_once_and_unsubscribes()
    {
        var channel = ChannelsFixture.NewChannel();
        var cursor = Cursor(await PollNowAsync(ChannelsFixture.Query(channel)));
        var mark = fixture.Logs.Mark();
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/poll?{ChannelsFixture.Query(channel)}&cursor={cursor}&timeout=20");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestChannelAuthorizer.Good);
        using var leave = new CancellationTokenSource();
        var poll = http.SendAsync(request, leave.Token);
        var connectionId = await fixture.Logs.WhenPollHeld(channel, mark);
        Assert.Equal(1, fixture.Hub.PresenceCount(channel));

        var started = Stopwatch.GetTimestamp();
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
        await fixture.Logs.WhenLogged(e => e.EventId.Id == 312 && e["ConnectionId"] == connectionId, mark);

        // Ended by the client leaving, long before its 20 s timeout, and no longer subscribed.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "The poll outlived its client.");
        Assert.Equal(0, fixture.Hub.PresenceCount(channel));
        Assert.False(fixture.Hub.Disconnect(connectionId), "The connection is still registered with the hub.");
    }
}
