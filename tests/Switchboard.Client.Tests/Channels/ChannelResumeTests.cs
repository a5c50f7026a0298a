using System.Threading.Channels;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;
using static Switchboard.Client.Tests.Channels.ChannelTestKit;

namespace Switchboard.Client.Tests.Channels;

/// <summary>Subscribing from a position, resuming after a cut or a restart, and discontinuities, on each transport against a real Switchboard.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelResumeTests
{
    [Theory]
    [MemberData(nameof(AllTransports), MemberType = typeof(ChannelTestKit))]
    public async Task Cutting_the_connection_mid_stream_loses_and_repeats_nothing(ChannelTransport transport)
    {
        await using var server = await ChannelServer.StartAsync();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs));
        var drops = Channel.CreateUnbounded<ChannelDisconnectedEventArgs>();
        client.Disconnected += e => drops.Writer.TryWrite(e);
        var channel = ChannelServer.NewChannel();
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        await subscription.Subscribed.Within();
        Assert.Equal(transport, client.Transport);

        string epoch = "";
        for (var i = 1; i <= 3; i++)
        {
            (_, epoch) = await server.PublishAsync(channel, i);
        }
        var before = await items.TakeAsync(3);
        var path = PathOf(transport);
        await server.WhenOpenAsync(path);
        var requests = server.Requests(path);
        Assert.True(server.Cut(path) > 0);
        // Published while the client is cut off or reconnecting: the resume must bring each exactly once.
        for (var i = 4; i <= 6; i++)
        {
            await server.PublishAsync(channel, i);
        }
        var after = await items.TakeAsync(3);
        await server.PublishAsync(channel, 7);
        var last = await items.TakeAsync(1);

        AssertOffsets([.. before, .. after, .. last], epoch, 1, 2, 3, 4, 5, 6, 7);
        Assert.Equal(new ChannelPosition(7, epoch), subscription.Position);
        Assert.True(server.Requests(path) > requests, "no new request after the cut");
        if (transport != ChannelTransport.LongPoll)
        {
            // A poll cut before its answer may be retried by HttpClient itself; a stream's drop is always seen.
            var drop = await drops.Reader.ReadAsync().AsTask().Within();
            Assert.Equal(transport, drop.Transport);
            Assert.True(drop.WillReconnect);
        }
        logs.AssertNoErrors();
    }

    [Theory]
    [MemberData(nameof(AllTransports), MemberType = typeof(ChannelTestKit))]
    public async Task Subscribing_from_a_position_replays_exactly_what_came_after_it(ChannelTransport transport)
    {
        await using var server = await ChannelServer.StartAsync();
        var channel = ChannelServer.NewChannel();
        string epoch = "";
        for (var i = 1; i <= 4; i++)
        {
            (_, epoch) = await server.PublishAsync(channel, i);
        }
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs));
        var subscription = client.Subscribe(channel, new ChannelPosition(2, epoch));
        await using var items = subscription.GetAsyncEnumerator();
        var replayed = await items.TakeAsync(2);
        await server.PublishAsync(channel, 5);
        var live = await items.TakeAsync(1);

        AssertOffsets([.. replayed, .. live], epoch, 3, 4, 5);
        await subscription.Subscribed.Within();
        Assert.Equal(new ChannelPosition(5, epoch), subscription.Position);
        logs.AssertNoErrors();
    }

    [Theory]
    [MemberData(nameof(AllTransports), MemberType = typeof(ChannelTestKit))]
    public async Task A_position_older_than_the_history_is_a_typed_discontinuity_naming_the_channel(ChannelTransport transport)
    {
        await using var server = await ChannelServer.StartAsync();
        var channel = ChannelServer.NewChannel("small");
        string epoch = "";
        for (var i = 1; i <= ChannelServer.SmallHistory + 3; i++)
        {
            (_, epoch) = await server.PublishAsync(channel, i);
        }
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs));
        var signalled = new TaskCompletionSource<ChannelDiscontinuity>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Discontinuity += d => signalled.TrySetResult(d);
        var subscription = client.Subscribe(channel, new ChannelPosition(1, epoch));
        await using var items = subscription.GetAsyncEnumerator();

        var gap = Assert.IsType<ChannelDiscontinuity>(Assert.Single(await items.TakeAsync(1)));
        Assert.Equal(channel, gap.Channel);
        Assert.Equal(new ChannelPosition(ChannelServer.SmallHistory + 3, epoch), gap.Position);
        Assert.Equal(new ChannelPosition(1, epoch), gap.Requested);
        Assert.Same(gap, await signalled.Task.Within());
        // Nothing of the lost part is replayed: the next item is the next live publication.
        await server.PublishAsync(channel, ChannelServer.SmallHistory + 4);
        AssertOffsets(await items.TakeAsync(1), epoch, ChannelServer.SmallHistory + 4);
        Assert.Contains(logs.Messages(107), m => m.Contains(channel, StringComparison.Ordinal));
        logs.AssertNoErrors();
    }

    [Theory]
    [MemberData(nameof(AllTransports), MemberType = typeof(ChannelTestKit))]
    public async Task A_server_restart_loses_the_history_and_the_resume_reports_a_discontinuity(ChannelTransport transport)
    {
        await using var server = await ChannelServer.StartAsync();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs));
        var channels = new[] { ChannelServer.NewChannel(), ChannelServer.NewChannel() };
        var subscriptions = channels.Select(c => client.Subscribe(c)).ToArray();
        var readers = subscriptions.Select(s => s.GetAsyncEnumerator()).ToArray();
        await Task.WhenAll(subscriptions.Select(s => s.Subscribed)).Within();
        var (_, oldEpoch) = await server.PublishAsync(channels[0], 1);
        AssertOffsets(await readers[0].TakeAsync(1), oldEpoch, 1);

        await server.RestartAsync();

        // Both channels are named, each by its own signal; then live delivery goes on in the new epoch.
        var gaps = new List<ChannelDiscontinuity>();
        foreach (var reader in readers)
        {
            gaps.Add(Assert.IsType<ChannelDiscontinuity>(Assert.Single(await reader.TakeAsync(1))));
        }
        Assert.Equal(channels, gaps.Select(g => g.Channel));
        Assert.All(gaps, g => Assert.NotEqual(oldEpoch, g.Position.Epoch));
        Assert.Equal(new ChannelPosition(1, oldEpoch), gaps[0].Requested);
        var (offset, newEpoch) = await server.PublishAsync(channels[1], 1);
        Assert.Equal(1, offset);
        AssertOffsets(await readers[1].TakeAsync(1), newEpoch, 1);
        foreach (var reader in readers)
        {
            await reader.DisposeAsync();
        }
        logs.AssertNoErrors();
    }
    [Theory]
    [MemberData(nameof(AllTransports), MemberType = typeof(ChannelTestKit))]
    public async Task A_channel_added_or_left_while_connected_changes_nothing_for_the_others(ChannelTransport transport)
    {
        await using var server = await ChannelServer.StartAsync();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs));
        var drops = 0;
        client.Disconnected += _ => Interlocked.Increment(ref drops);
        var (a, b) = (ChannelServer.NewChannel(), ChannelServer.NewChannel());
        var first = client.Subscribe(a);
        await using var firstItems = first.GetAsyncEnumerator();
        await first.Subscribed.Within();
        var (_, epochA) = await server.PublishAsync(a, 1);
        var seenA = await firstItems.TakeAsync(1);
        var (_, epochB) = await server.PublishAsync(b, 1);

        // SSE and long-poll reopen their request with the new channel (its position learnt first).
        var second = client.Subscribe(b);
        var secondItems = second.GetAsyncEnumerator();
        Assert.Equal(new ChannelPosition(1, epochB), await second.Subscribed.Within());
        await server.PublishAsync(a, 2);
        await server.PublishAsync(b, 2);
        seenA.AddRange(await firstItems.TakeAsync(1));
        AssertOffsets(await secondItems.TakeAsync(1), epochB, 2);

        await secondItems.DisposeAsync();
        Assert.Null(client.GetPosition(b));
        await server.PublishAsync(b, 3);
        await server.PublishAsync(a, 3);
        seenA.AddRange(await firstItems.TakeAsync(1));
        AssertOffsets(seenA, epochA, 1, 2, 3);
        Assert.Equal([a], client.GetPositions().Keys);
        Assert.Equal(0, Volatile.Read(ref drops));
        logs.AssertNoErrors();
    }
}
