using System.Collections.Concurrent;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.SocketIO;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>
/// Several nodes (servers in this process, each with its own bus and Redis connection) on one real
/// redis-server: what one node publishes reaches the subscribers of the others, in one order, and
/// only the nodes with members.
/// </summary>
public sealed partial class RedisClusterBusTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestNodes _nodes = new(redis);
    private readonly string _prefix = $"t{Guid.NewGuid():N}:"[..10];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _nodes.DisposeAsync();

    [Fact]
    public async Task A_publication_on_one_node_reaches_subscribers_on_every_node_with_the_same_positions()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var onA = new Recorder("a1");
        var onB = new Recorder("b1");
        await a.Main.Channels.SubscribeAsync("news", onA);
        await b.Main.Channels.SubscribeAsync("news", onB);

        var first = await a.Main.Channels.PublishAsync(["news"], "headline", ["one"]);
        var second = await b.Main.Channels.PublishAsync(["news"], "headline", ["two"]);

        var seenOnA = await onA.WaitForAsync(2);
        var seenOnB = await onB.WaitForAsync(2);
        Assert.Equal(["\"one\"", "\"two\""], seenOnA.Select(e => Text(e)));
        Assert.Equal(seenOnA.Select(e => (e.Offset, e.Epoch, e.Publication.Seq)), seenOnB.Select(e => (e.Offset, e.Epoch, e.Publication.Seq)));
        Assert.Equal([first.Positions["news"].Offset, second.Positions["news"].Offset], seenOnB.Select(e => e.Offset));
        Assert.Equal(first.Seq + 1, second.Seq);
    }

    [Fact]
    public async Task Concurrent_publishers_on_two_nodes_are_seen_in_one_order_everywhere()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var onA = new Recorder("a1");
        var onB = new Recorder("b1");
        foreach (var channel in new[] { "x", "y" })
        {
            await a.Main.Channels.SubscribeAsync(channel, onA);
            await b.Main.Channels.SubscribeAsync(channel, onB);
        }

        const int each = 50;
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < each; i++) { await a.Main.Channels.PublishAsync(["x"], "m", [i]); } }),
            Task.Run(async () => { for (var i = 0; i < each; i++) { await b.Main.Channels.PublishAsync(["y"], "m", [i]); } }));

        var seqsOnA = (await onA.WaitForAsync(2 * each)).Select(e => e.Publication.Seq).ToArray();
        var seqsOnB = (await onB.WaitForAsync(2 * each)).Select(e => e.Publication.Seq).ToArray();
        Assert.Equal(seqsOnA.Order(), seqsOnA);
        Assert.Equal(seqsOnA, seqsOnB);
        Assert.Equal(2 * each, seqsOnA.Distinct().Count());
    }

    [Fact]
    public async Task Only_nodes_with_members_receive_a_publication_one_message_each()
    {
        var (a, busA) = await NodeAsync();
        var (b, busB) = await NodeAsync();
        var (c, busC) = await NodeAsync();
        await b.Main.Channels.SubscribeAsync("room", new Recorder("b1"));
        var onC = new Recorder("c1");
        await c.Main.Channels.SubscribeAsync("elsewhere", onC);
        var inboxes = await CountInboxesAsync(busA, busB, busC);

        await a.Main.Channels.PublishAsync(["room"], "m", [1]);
        await a.Main.Channels.PublishAsync(["elsewhere"], "m", [2]);
        await onC.WaitForAsync(1);
        // The publication to "elsewhere" (to C's inbox) went after the one to "room": the counting
        // connection receives them in that order, so once C's count is in, every inbox has had what it
        // will get of the first.
        await inboxes.WaitAsync(busC.NodeId, 1);

        Assert.Equal(0, inboxes.Count(busA.NodeId));
        Assert.Equal(1, inboxes.Count(busB.NodeId));
        Assert.Equal(1, inboxes.Count(busC.NodeId));
    }

    [Fact]
    public async Task A_node_that_unsubscribes_stops_receiving_and_history_still_serves_a_resume_on_another_node()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var first = new Recorder("s1");
        await a.Main.Channels.SubscribeAsync("feed", first);
        await b.Main.Channels.PublishAsync(["feed"], "m", [1]);
        var seen = await first.WaitForAsync(1);
        a.Main.Channels.Unsubscribe("feed", first);
        await b.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await b.Main.Channels.PublishAsync(["feed"], "m", [3]);

        // The subscriber comes back on the other node from where it was.
        var resumed = new Recorder("s1-again");
        await b.Main.Channels.SubscribeAsync("feed", resumed, seen[0].Position);
        await b.Main.Channels.PublishAsync(["feed"], "m", [4]);

        Assert.Equal(["2", "3", "4"], (await resumed.WaitForAsync(3)).Select(Text));
        Assert.Single(first.Entries);
    }

    [Fact]
    public async Task Publications_a_node_missed_live_are_delivered_from_history_before_the_next_one()
    {
        var (a, busB, onB) = await FeedOnSecondNodeAsync();

        // The fault a Redis blip leaves behind: B is not sent two publications (its registration is gone).
        var interest = (RedisKey)$"{_prefix}interest:/:feed";
        await redis.Connection.GetDatabase().SetRemoveAsync(interest, busB.NodeId);
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await a.Main.Channels.PublishAsync(["feed"], "m", [3]);
        await redis.Connection.GetDatabase().SetAddAsync(interest, busB.NodeId);
        await a.Main.Channels.PublishAsync(["feed"], "m", [4]);

        var seen = await onB.WaitForAsync(4);
        Assert.Equal(["1", "2", "3", "4"], seen.Select(Text));
        Assert.Equal([1L, 2, 3, 4], seen.Select(e => e.Offset));
    }

    [Fact]
    public async Task Publications_of_a_new_epoch_a_node_missed_live_are_delivered_from_the_epoch_start_after_a_live_discontinuity()
    {
        var (a, busB, onB) = await FeedOnSecondNodeAsync(expectDiscontinuity: true);

        // What a Redis that came back empty leaves behind: the channel is gone, so its next publication
        // starts a new epoch, and B is not sent it (not registered again yet, or its inbox subscription
        // not restored yet).
        var db = redis.Connection.GetDatabase();
        var interest = (RedisKey)$"{_prefix}interest:/:feed";
        await db.KeyDeleteAsync([(RedisKey)$"{_prefix}{{/:feed}}:log", (RedisKey)$"{_prefix}{{/:feed}}:meta"]);
        await db.SetRemoveAsync(interest, busB.NodeId);
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await db.SetAddAsync(interest, busB.NodeId);
        await a.Main.Channels.PublishAsync(["feed"], "m", [3]);

        var seen = await onB.WaitForAsync(3);
        Assert.Equal(["1", "2", "3"], seen.Select(Text));
        Assert.Equal([1L, 1, 2], seen.Select(e => e.Offset));
        Assert.NotEqual(seen[0].Epoch, seen[1].Epoch);
        Assert.Equal(seen[1].Epoch, seen[2].Epoch);
        // The live stream is told, between the old epoch's entry and the new epoch's first (issue 12).
        Assert.Equal([("feed", new StreamPosition(0, seen[1].Epoch), 1)], onB.Discontinuities);
    }

    [Fact]
    public async Task A_channel_the_store_forgot_for_being_idle_starts_a_new_epoch_without_a_discontinuity()
    {
        // History kept 100 ms, keys forgotten 200 ms after that: a quiet channel, not a loss.
        async Task<SocketServer> QuietNodeAsync() => (await _nodes.StartAsync(new RedisClusterOptions
        {
            Store = new RedisChannelStoreOptions { KeyPrefix = _prefix, IdleChannelExpiry = TimeSpan.FromMilliseconds(200) },
        }, Timeout, configureServer: o => o.Channels.DefaultHistory.Ttl = TimeSpan.FromMilliseconds(100))).Server;
        var a = await QuietNodeAsync();
        var b = await QuietNodeAsync();
        var onB = new Recorder("b1");
        await b.Main.Channels.SubscribeAsync("quiet", onB);
        await a.Main.Channels.PublishAsync(["quiet"], "m", [1]);
        await onB.WaitForAsync(1);

        // Redis forgets the channel's keys on its own (no event to await: its state is polled, bounded).
        var db = redis.Connection.GetDatabase();
        var meta = (RedisKey)$"{_prefix}{{/:quiet}}:meta";
        var deadline = DateTime.UtcNow + Timeout;
        while (await db.KeyExistsAsync(meta))
        {
            Assert.True(DateTime.UtcNow < deadline, "the idle channel's keys never expired");
            await Task.Delay(50);
        }
        await a.Main.Channels.PublishAsync(["quiet"], "m", [2]);

        // The Recorder fails the delivery on any discontinuity.
        var seen = await onB.WaitForAsync(2);
        Assert.Equal(["1", "2"], seen.Select(Text));
        Assert.NotEqual(seen[0].Epoch, seen[1].Epoch);
    }

    [Fact]
    public async Task A_publisher_that_saw_further_than_a_rewound_server_starts_new_epochs_and_the_stream_is_told()
    {
        var (a, _, onB) = await FeedOnSecondNodeAsync(expectDiscontinuity: true);
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await onB.WaitForAsync(2);
        var sequenceEpoch = a.Main.Channels.Epoch;

        // What a promoted replica that lacked the last write leaves: the same epochs, the channel's last
        // entry gone and its top one behind, the namespace's sequence one behind.
        await RewindFeedAsync();
        await redis.Connection.GetDatabase().HashDecrementAsync((RedisKey)$"{_prefix}seq:/", "seq");
        var published = await a.Main.Channels.PublishAsync(["feed"], "m", [3]);

        // A has seen offset 2 and the last sequence number: the script starts new epochs rather than hand
        // them out again, and B's stream is told before the new epoch's first publication.
        var seen = await onB.WaitForAsync(3);
        Assert.Equal(["1", "2", "3"], seen.Select(Text));
        Assert.Equal([1L, 2, 1], seen.Select(e => e.Offset));
        Assert.NotEqual(seen[1].Epoch, seen[2].Epoch);
        Assert.Equal(new StreamPosition(1, seen[2].Epoch), published.Positions["feed"]);
        Assert.Equal([("feed", new StreamPosition(0, seen[2].Epoch), 2)], onB.Discontinuities);
        Assert.NotEqual(sequenceEpoch, a.Main.Channels.Epoch);
        // A cursor from before can no longer be continued.
        var resumed = await a.Main.Channels.Store.ReadAsync("/", "feed", seen[1].Position, 10);
        Assert.False(resumed.Continuous);
    }

    [Fact]
    public async Task Offsets_that_go_back_under_a_node_that_did_not_publish_them_are_told_and_their_epoch_replaced()
    {
        var (a, _, onB) = await FeedOnSecondNodeAsync(expectDiscontinuity: true);
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await onB.WaitForAsync(2);
        await RewindFeedAsync();
        // C never saw the channel: the script cannot know the offset went back, and hands out 2 again.
        var (c, _) = await NodeAsync();
        var published = await c.Main.Channels.PublishAsync(["feed"], "m", [3]);
        Assert.Equal(2, published.Positions["feed"].Offset);

        // B, which delivered offset 2 before, tells its stream and has the epoch replaced.
        var seen = await onB.WaitForAsync(3);
        Assert.Equal(["1", "2", "3"], seen.Select(Text));
        Assert.Equal([1L, 2, 2], seen.Select(e => e.Offset));
        Assert.Equal([("feed", new StreamPosition(1, seen[2].Epoch), 2)], onB.Discontinuities);
        // B replaces the epoch right after delivering (its state is polled, bounded): a cursor anywhere in
        // the epoch that went back is then told it cannot be continued.
        var deadline = DateTime.UtcNow + Timeout;
        while ((await c.Main.Channels.Store.ReadAsync("/", "feed", new StreamPosition(1, seen[2].Epoch), 10)).Continuous)
        {
            Assert.True(DateTime.UtcNow < deadline, "the epoch that went back was never replaced");
            await Task.Delay(20);
        }
        var next = await c.Main.Channels.PublishAsync(["feed"], "m", [4]);
        Assert.NotEqual(seen[2].Epoch, next.Positions["feed"].Epoch);
        Assert.Equal(1, next.Positions["feed"].Offset);
    }

    /// <summary>Drops the last entry of "feed" and takes its top one back, in the same epoch.</summary>
    private async Task RewindFeedAsync()
    {
        var db = redis.Connection.GetDatabase();
        var log = (RedisKey)$"{_prefix}{{/:feed}}:log";
        var kept = (await db.StreamRangeAsync(log))[..^1];
        await db.KeyDeleteAsync(log);
        foreach (var entry in kept)
        {
            await db.StreamAddAsync(log, entry.Values, entry.Id);
        }
        await db.HashDecrementAsync((RedisKey)$"{_prefix}{{/:feed}}:meta", "top");
    }

    [Fact]
    public async Task A_publication_still_in_the_inbox_when_a_new_subscription_read_it_from_history_is_not_a_discontinuity_nor_sent_twice()
    {
        // Found by the rolling restart (tests/interop/drain.test.mjs): long-polls subscribe and leave all
        // the time, so a node forgets where its delivery of a channel stood while publications of it are
        // still on their way in its inbox; the next subscription reads them from history first.
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var first = new Recorder("b0");
        await b.Main.Channels.SubscribeAsync("feed", first);
        // B's inbox is held up behind a delivery of another namespace.
        using var gate = new SemaphoreSlim(0);
        var blocker = new Blocker(gate);
        await b.Of("/gate").Channels.SubscribeAsync("gate", blocker);
        await a.Of("/gate").Channels.PublishAsync(["gate"], "m", [0]);
        await blocker.Blocked.WaitAsync(Timeout);
        var one = await a.Main.Channels.PublishAsync(["feed"], "m", [1]);
        b.Main.Channels.Unsubscribe("feed", first);

        // Records discontinuities rather than failing on them: a failure would drop the delivery and hide a duplicate.
        var second = new Recorder("b1", expectDiscontinuity: true);
        await b.Main.Channels.SubscribeAsync("feed", second, new StreamPosition(0, one.Positions["feed"].Epoch));
        Assert.Single(second.Entries);
        gate.Release();
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);
        await a.Main.Channels.PublishAsync(["feed"], "m", [3]);

        var seen = await second.WaitForAsync(3);
        Assert.Equal(["1", "2", "3"], seen.Select(Text));
        Assert.Equal([1L, 2, 3], seen.Select(e => e.Offset));
        Assert.Empty(second.Discontinuities);
    }
}
