using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

/// <summary>The hub's one order per namespace, with the in-memory store, in process.</summary>
public sealed class ChannelHubOrderingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrent_publishers_are_seen_in_one_order_by_every_subscriber()
    {
        using var server = new SocketServer(new SocketServerOptions());
        var hub = server.Of("/").Channels;
        Recorder[] subscribers = [new("a"), new("b"), new("c")];
        foreach (var subscriber in subscribers)
        {
            await hub.SubscribeAsync("room", subscriber).AsTask().WaitAsync(Timeout);
        }

        const int Publishers = 4, Each = 50;
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            var seqs = new List<long>();
            for (var i = 0; i < Each; i++)
            {
                seqs.Add((await hub.PublishAsync(["room"], "tick", [p, i])).Seq);
            }
            return seqs;
        }));
        var published = await Task.WhenAll(publishing).WaitAsync(Timeout);

        var first = subscribers[0].Entries;
        Assert.Equal(Enumerable.Range(1, Publishers * Each).Select(o => (long)o), first.Select(e => e.Offset));
        Assert.Equal(published.SelectMany(s => s).Order(), first.Select(e => e.Publication.Seq));
        foreach (var other in subscribers.Skip(1))
        {
            Assert.Equal(first.Select(e => e.Publication.Seq), other.Entries.Select(e => e.Publication.Seq));
        }
        // Each publisher's own publications keep the order it made them in.
        for (var p = 0; p < Publishers; p++)
        {
            var own = first.Where(e => (int)e.Publication.Arguments[0]! == p).Select(e => (int)e.Publication.Arguments[1]!);
            Assert.Equal(Enumerable.Range(0, Each), own);
        }
    }

    [Fact]
    public async Task Subscribing_from_a_position_replays_exactly_the_missed_entries_then_goes_on_live()
    {
        var options = new SocketServerOptions();
        options.Channels.DefaultHistory.Size = 1000;
        using var server = new SocketServer(options);
        var hub = server.Of("/").Channels;
        PublishResult? fourth = null;
        for (var i = 1; i <= 10; i++)
        {
            var result = await hub.PublishAsync(["room"], "n", [i]).AsTask().WaitAsync(Timeout);
            if (i == 4)
            {
                fourth = result;
            }
        }
        var since = fourth!.Positions["room"];

        // Publications keep coming while the subscriber catches up.
        var live = Task.Run(async () =>
        {
            for (var i = 11; i <= 110; i++)
            {
                await hub.PublishAsync(["room"], "n", [i]);
            }
        });
        var subscriber = new Recorder("late");
        var top = await hub.SubscribeAsync("room", subscriber, since).AsTask().WaitAsync(Timeout);
        await live.WaitAsync(Timeout);

        Assert.Empty(subscriber.Discontinuities);
        Assert.Equal(since.Epoch, top.Epoch);
        Assert.InRange(top.Offset, 10, 110);
        Assert.Equal(Enumerable.Range(5, 106).Select(o => (long)o), subscriber.Entries.Select(e => e.Offset));
        Assert.Equal(Enumerable.Range(5, 106), subscriber.Entries.Select(e => (int)e.Publication.Arguments[0]!));
    }

    [Fact]
    public async Task Subscribing_from_a_position_outside_the_window_is_a_discontinuity_then_live()
    {
        var options = new SocketServerOptions();
        options.Channels.History.Add(new ChannelHistoryRule { Pattern = "small-*", Size = 3 });
        using var server = new SocketServer(options);
        var hub = server.Of("/").Channels;
        StreamPosition last = default;
        for (var i = 1; i <= 10; i++)
        {
            last = (await hub.PublishAsync(["small-room"], "n", [i]).AsTask().WaitAsync(Timeout)).Positions["small-room"];
        }
        var trimmed = new Recorder("trimmed");
        var otherEpoch = new Recorder("other-epoch");
        var inWindow = new Recorder("in-window");

        await hub.SubscribeAsync("small-room", trimmed, new StreamPosition(2, last.Epoch)).AsTask().WaitAsync(Timeout);
        await hub.SubscribeAsync("small-room", otherEpoch, new StreamPosition(9, "gone")).AsTask().WaitAsync(Timeout);
        await hub.SubscribeAsync("small-room", inWindow, new StreamPosition(7, last.Epoch)).AsTask().WaitAsync(Timeout);
        await hub.PublishAsync(["small-room"], "n", [11]).AsTask().WaitAsync(Timeout);

        Assert.Equal([("small-room", last)], trimmed.Discontinuities);
        Assert.Equal([11L], trimmed.Entries.Select(e => e.Offset));
        Assert.Equal([("small-room", last)], otherEpoch.Discontinuities);
        Assert.Equal([11L], otherEpoch.Entries.Select(e => e.Offset));
        Assert.Empty(inWindow.Discontinuities);
        Assert.Equal([8L, 9L, 10L, 11L], inWindow.Entries.Select(e => e.Offset));
    }
}
