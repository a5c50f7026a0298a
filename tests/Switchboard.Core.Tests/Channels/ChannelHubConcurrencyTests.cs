using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

/// <summary>
/// The hub's one order per namespace with delivery behind it (docs/decisions/0010, design 1): many
/// publishers at once, on several channels, and subscriptions from a position racing them. In process,
/// with the in-memory store (the order is then taken without awaiting and the delivery queue is drained
/// by the publishers themselves).
/// </summary>
public sealed class ChannelHubConcurrencyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Concurrent_publishers_on_several_channels_are_delivered_in_one_order_before_each_publish_returns()
    {
        using var server = new SocketServer(new SocketServerOptions());
        var hub = server.Of("/").Channels;
        string[] channels = ["c0", "c1", "c2", "c3"];
        var perChannel = channels.Select(c => new Recorder("only-" + c)).ToArray();
        var all = new Recorder("all");
        for (var i = 0; i < channels.Length; i++)
        {
            await hub.SubscribeAsync(channels[i], perChannel[i]).AsTask().WaitAsync(Timeout);
            await hub.SubscribeAsync(channels[i], all).AsTask().WaitAsync(Timeout);
        }

        const int Publishers = 8, Each = 150;
        var returnedBeforeDelivery = 0;
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            var mine = new List<(long Seq, string[] Channels)>();
            for (var i = 0; i < Each; i++)
            {
                // Every third publication goes to two channels at once.
                string[] targets = i % 3 == 0 ? [channels[(p + i) % 4], channels[(p + i + 1) % 4]] : [channels[(p + i) % 4]];
                var result = await hub.PublishAsync(targets, "tick", [p, i]);
                // The contract of a publish: when it returns, every local recipient has been handed it.
                if (!all.Has(result.Seq))
                {
                    Interlocked.Increment(ref returnedBeforeDelivery);
                }
                mine.Add((result.Seq, targets));
            }
            return mine;
        }));
        var published = (await Task.WhenAll(publishing).WaitAsync(Timeout)).SelectMany(r => r).OrderBy(p => p.Seq).ToArray();

        Assert.Equal(0, returnedBeforeDelivery);
        Assert.Equal(Enumerable.Range(1, Publishers * Each).Select(s => (long)s), published.Select(p => p.Seq));
        // The subscriber of every channel gets one entry per channel of each publication, in sequence order.
        Assert.Equal(published.SelectMany(p => p.Channels.Select(c => (p.Seq, c))), all.Entries.Select(e => (e.Publication.Seq, e.Channel)));
        for (var i = 0; i < channels.Length; i++)
        {
            var expected = published.Where(p => p.Channels.Contains(channels[i])).Select(p => p.Seq).ToArray();
            var entries = perChannel[i].Entries;
            Assert.True(expected.Length > Publishers * Each / 8, "every channel had a share of the publications");
            Assert.Equal(expected, entries.Select(e => e.Publication.Seq));
            Assert.Equal(Enumerable.Range(1, expected.Length).Select(o => (long)o), entries.Select(e => e.Offset));
        }
        // Each publisher's own publications keep the order it made them in.
        for (var p = 0; p < Publishers; p++)
        {
            var own = published.Select(x => all.Entries.First(e => e.Publication.Seq == x.Seq).Publication)
                .Where(x => (int)x.Arguments[0]! == p).Select(x => (int)x.Arguments[1]!);
            Assert.Equal(Enumerable.Range(0, Each), own);
        }
    }

    [Fact]
    public async Task Subscriptions_from_positions_racing_publishers_get_every_later_entry_once()
    {
        var options = new SocketServerOptions();
        options.Channels.DefaultHistory.Size = 100_000;
        using var server = new SocketServer(options);
        var hub = server.Of("/").Channels;
        const int Before = 20, Publishers = 4, Each = 250;
        StreamPosition start = default;
        for (var i = 1; i <= Before; i++)
        {
            start = (await hub.PublishAsync(["room"], "n", [-i]).AsTask().WaitAsync(Timeout)).Positions["room"];
        }

        // Publishers stop half-way until the first subscription is in, so at least one lands mid-stream;
        // the others race the second half.
        var firstIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < Each; i++)
            {
                if (i == Each / 2)
                {
                    await firstIn.Task;
                }
                await hub.PublishAsync(["room"], "n", [p * Each + i]);
            }
        })).ToArray();
        var subscribing = Task.Run(async () =>
        {
            while (hub.Seq < Before + Publishers * Each / 4)
            {
                await Task.Yield();
            }
            var subscriptions = new List<(Recorder Recorder, StreamPosition? Since, StreamPosition Top)>();
            for (var s = 0; s < 40; s++)
            {
                var recorder = new Recorder("late-" + s);
                // Positions inside the history kept, and every fourth subscription without one (live only).
                StreamPosition? since = s % 4 == 3 ? null : new StreamPosition(s % Before, start.Epoch);
                var top = await hub.SubscribeAsync("room", recorder, since);
                subscriptions.Add((recorder, since, top));
                firstIn.TrySetResult();
            }
            return subscriptions;
        });
        await Task.WhenAll(publishing).WaitAsync(Timeout);
        var subscribed = await subscribing.WaitAsync(Timeout);

        const int Last = Before + Publishers * Each;
        Assert.InRange(subscribed[0].Top.Offset, Before + 1, Last - 1);
        foreach (var (recorder, since, top) in subscribed)
        {
            var from = since?.Offset ?? top.Offset;
            Assert.Empty(recorder.Discontinuities);
            Assert.Equal(start.Epoch, top.Epoch);
            Assert.Equal(Enumerable.Range((int)from + 1, Last - (int)from).Select(o => (long)o), recorder.Entries.Select(e => e.Offset));
        }
    }

    [Fact]
    public async Task A_publisher_whose_token_is_cancelled_publishes_nothing()
    {
        using var server = new SocketServer(new SocketServerOptions());
        var hub = server.Of("/").Channels;
        var recorder = new Recorder("r");
        await hub.SubscribeAsync("room", recorder).AsTask().WaitAsync(Timeout);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await hub.PublishAsync(["room"], "n", [1], cancellationToken: cancelled.Token));
        var next = await hub.PublishAsync(["room"], "n", [2]).AsTask().WaitAsync(Timeout);

        Assert.Equal(1, next.Seq);
        Assert.Equal([2], recorder.Entries.Select(e => (int)e.Publication.Arguments[0]!));
    }

    [Fact]
    public async Task A_recipient_that_throws_is_logged_and_neither_fails_the_publisher_nor_keeps_it_from_the_others()
    {
        using var logs = new LogCollector();
        using var loggers = new Microsoft.Extensions.Logging.LoggerFactory([logs]);
        using var server = new SocketServer(new SocketServerOptions(), loggers);
        var hub = server.Of("/").Channels;
        var before = new Recorder("before");
        var after = new Recorder("after");
        await hub.SubscribeAsync("room", before).AsTask().WaitAsync(Timeout);
        await hub.SubscribeAsync("room", new Throwing()).AsTask().WaitAsync(Timeout);
        await hub.SubscribeAsync("room", after).AsTask().WaitAsync(Timeout);

        var first = await hub.PublishAsync(["room"], "n", [1]).AsTask().WaitAsync(Timeout);
        var second = await hub.PublishAsync(["room"], "n", [2]).AsTask().WaitAsync(Timeout);

        Assert.Equal([1L, 2L], new[] { first.Seq, second.Seq });
        Assert.Equal([1L, 2L], before.Entries.Select(e => e.Publication.Seq));
        Assert.Equal([1L, 2L], after.Entries.Select(e => e.Publication.Seq));
        var errors = logs.TakeErrors();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("handing it to throwing failed", e, StringComparison.Ordinal));
        Assert.Contains("publication 1 ", errors[0], StringComparison.Ordinal);
        Assert.Contains("a recipient that fails", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_recipient_that_publishes_on_the_same_hub_as_it_is_handed_a_replay_or_a_publication_neither_deadlocks_nor_reorders()
    {
        var options = new SocketServerOptions();
        options.Channels.DefaultHistory.Size = 100;
        using var server = new SocketServer(options);
        var hub = server.Of("/").Channels;
        var echoes = new Recorder("echoes");
        await hub.SubscribeAsync("echo", echoes).AsTask().WaitAsync(Timeout);
        var since = (await hub.PublishAsync(["a"], "n", [0]).AsTask().WaitAsync(Timeout)).Positions["a"];
        await hub.PublishAsync(["a"], "n", [1]).AsTask().WaitAsync(Timeout);

        // Handed the replay under the order, and later a live publication by the drainer, it publishes in
        // the call: a blocking wait for the order or the drainer would wait for itself.
        var echoing = new Echoing(hub);
        await hub.SubscribeAsync("a", echoing, since).AsTask().WaitAsync(Timeout);
        var live = await hub.PublishAsync(["a"], "n", [2]).AsTask().WaitAsync(Timeout);
        await Task.WhenAll(echoing.Published).WaitAsync(Timeout);

        Assert.Equal([1, 2], echoing.Seen);
        Assert.Equal([1, 2], echoes.Entries.Select(e => (int)e.Publication.Arguments[0]!));
        // The echo of the live publication was ordered after it, and delivered after it.
        Assert.True(echoes.Entries[^1].Publication.Seq > live.Seq);
    }

    private sealed class Echoing(ChannelHub hub) : IChannelSubscriber
    {
        public List<int> Seen { get; } = [];

        public List<Task<PublishResult>> Published { get; } = [];

        public string ConnectionId => "echoing";

        public void Deliver(in ChannelEntry entry)
        {
            var n = (int)entry.Publication.Arguments[0]!;
            Seen.Add(n);
            Published.Add(hub.PublishAsync(["echo"], "n", [n]).AsTask());
        }

        public void Discontinuity(string channel, StreamPosition top)
        {
        }
    }

    private sealed class Throwing : IChannelSubscriber
    {
        public string ConnectionId => "throwing";

        public void Deliver(in ChannelEntry entry) => throw new InvalidOperationException("a recipient that fails");

        public void Discontinuity(string channel, StreamPosition top)
        {
        }
    }
}
