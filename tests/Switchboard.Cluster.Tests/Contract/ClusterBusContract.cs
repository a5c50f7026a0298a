using System.Text;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests.Contract;

/// <summary>
/// What every <see cref="IClusterBus"/> must do, run against each backend (one derived class per backend,
/// as <c>ChannelStoreContract</c> does for history): the servers above the bus (ChannelHub, SocketAdapter,
/// ClusterOperations) rely on exactly this. Each node is a bus attached to a <see cref="RecordingSink"/>,
/// so every assertion is on what the bus itself delivered. A backend that cannot do a case by design says
/// so in <see cref="CannotDieWithoutLeaving"/> and the case asserts the documented behaviour instead.
/// </summary>
public abstract class ClusterBusContract : IAsyncLifetime
{
    protected const string Nsp = "/";
    private readonly List<Node> _nodes = [];

    /// <summary>A node of the test cluster: the bus and what it delivered.</summary>
    public sealed record Node(IClusterBus Bus, RecordingSink Sink);

    /// <summary>Makes a bus for a new node of this test's cluster (not attached yet).</summary>
    protected abstract Task<IClusterBus> CreateBusAsync();

    /// <summary>Waits until an attached bus receives what the cluster sends it.</summary>
    protected abstract Task ReadyAsync(IClusterBus bus);

    /// <summary>The node leaves the cluster cleanly (its host stops).</summary>
    protected abstract Task LeaveAsync(IClusterBus bus);

    /// <summary>The node's process dies: no goodbye, its connection just goes.</summary>
    protected abstract Task KillAsync(IClusterBus bus);

    /// <summary>Why, when this backend's nodes cannot die without leaving (all in one process); null when they can.</summary>
    protected virtual string? CannotDieWithoutLeaving => null;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var node in Enumerable.Reverse(_nodes))
        {
            await LeaveAsync(node.Bus);
        }
    }

    protected async Task<Node> StartNodeAsync()
    {
        var bus = await CreateBusAsync();
        var sink = new RecordingSink { Bus = bus };
        bus.Attach(sink);
        await ReadyAsync(bus).WaitAsync(TimeSpan.FromSeconds(10));
        var node = new Node(bus, sink);
        _nodes.Add(node);
        return node;
    }

    protected static ClusterPublication Publication(string room, int value, IReadOnlyList<string>? channels = null) =>
        new(Nsp, [room], [.. (channels ?? [room]).Select(c => (c, new HistoryPolicy { Size = 100, Ttl = TimeSpan.FromMinutes(5) }))],
            Channels.Publication.FromStored(0, "tick", Encoding.UTF8.GetBytes($"[{value}]"), [], null, DateTimeOffset.UtcNow));

    private static int ValueOf(Publication publication) => int.Parse(Encoding.UTF8.GetString(publication.ArgumentsJson.Span).Trim('[', ']'));

    private static ClusterBroadcast Broadcast(string marker, params string[] rooms) =>
        new(Nsp, PacketEncoder.Event(Nsp, marker, []), new BroadcastOptions(rooms, []));

    private static string EventOf(ClusterBroadcast broadcast) => Encoding.UTF8.GetString(broadcast.Packet.Text);

    [Fact]
    public async Task Concurrent_publications_get_one_order_of_sequence_numbers_and_offsets_that_every_member_node_sees()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        await a.Bus.AddInterestAsync(Nsp, "prices");
        await b.Bus.AddInterestAsync(Nsp, "prices");

        var published = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).Bus.PublishAsync(Publication("prices", i)).AsTask()));

        var onA = new List<ClusterDelivery>();
        var onB = new List<ClusterDelivery>();
        for (var i = 0; i < 40; i++)
        {
            onA.Add(await a.Sink.NextPublicationAsync());
            onB.Add(await b.Sink.NextPublicationAsync());
        }
        var seqs = onA.Select(d => d.Publication.Seq).ToList();
        Assert.Equal(Enumerable.Range((int)seqs[0], 40).Select(s => (long)s), seqs);
        Assert.Equal(seqs, onB.Select(d => d.Publication.Seq));
        Assert.Equal(onA.Select(d => ValueOf(d.Publication)), onB.Select(d => ValueOf(d.Publication)));
        // Offsets follow the same order, in one epoch, and are what each publisher was told.
        var offsets = onA.Select(d => d.Positions["prices"]).ToList();
        Assert.Single(offsets.Select(p => p.Epoch).Distinct());
        Assert.Equal(Enumerable.Range((int)offsets[0].Offset, 40).Select(o => (long)o), offsets.Select(p => p.Offset));
        Assert.Equal(published.Select(p => p.Seq).Order(), seqs);
        foreach (var (delivery, result) in onA.Join(published, d => d.Publication.Seq, p => p.Seq, (d, p) => (d, p)))
        {
            Assert.Equal(result.Positions["prices"], delivery.Positions["prices"]);
            Assert.Equal(result.SequenceEpoch, delivery.SequenceEpoch);
        }
        Assert.Equal(onA[0].SequenceEpoch, await b.Bus.GetSequenceEpochAsync(Nsp));
    }

    [Fact]
    public async Task A_node_receives_the_publications_of_the_rooms_it_has_members_of_and_no_others()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        await a.Bus.AddInterestAsync(Nsp, "x");
        await b.Bus.AddInterestAsync(Nsp, "y");

        await a.Bus.PublishAsync(Publication("x", 1));
        await a.Bus.PublishAsync(Publication("y", 2));

        // The publisher gets its own publication back through the bus, in the cluster's order.
        Assert.Equal(1, ValueOf((await a.Sink.NextPublicationAsync()).Publication));
        var first = await b.Sink.NextPublicationAsync();
        Assert.Equal(2, ValueOf(first.Publication));
        Assert.Equal(["y"], first.Rooms);
        Assert.True(a.Sink.NoMorePublications);
    }

    [Fact]
    public async Task A_node_that_removed_its_interest_gets_nothing_more_of_the_room()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        await b.Bus.AddInterestAsync(Nsp, "x");
        await b.Bus.AddInterestAsync(Nsp, "marker");
        await a.Bus.PublishAsync(Publication("x", 1));
        Assert.Equal(1, ValueOf((await b.Sink.NextPublicationAsync()).Publication));

        b.Bus.RemoveInterest(Nsp, "x");
        // RemoveInterest is fire-and-forget: a request to the room's nodes tells when the cluster has taken it.
        await WaitUntilAsync(async () => await a.Bus.RequestAsync(Request(a, "x")) == 0);
        await a.Bus.PublishAsync(Publication("x", 2));
        await a.Bus.PublishAsync(Publication("marker", 3));

        Assert.Equal(3, ValueOf((await b.Sink.NextPublicationAsync()).Publication));
    }

    [Fact]
    public async Task The_history_has_one_owner_every_node_reads_what_any_node_published()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        var first = await a.Bus.PublishAsync(Publication("news", 1));
        var second = await b.Bus.PublishAsync(Publication("news", 2));
        await a.Bus.PublishAsync(Publication("other", 3));

        foreach (var node in new[] { a, b })
        {
            var all = await node.Bus.History.ReadAsync(Nsp, "news", since: null, limit: 10);
            Assert.Equal([1, 2], all.Entries.Select(e => ValueOf(e.Publication)));
            Assert.Equal(second.Positions["news"], all.Top);

            // Resuming from a position gives exactly what came after it.
            var resumed = await node.Bus.History.ReadAsync(Nsp, "news", first.Positions["news"], limit: 10);
            Assert.True(resumed.Continuous);
            Assert.Equal([2], resumed.Entries.Select(e => ValueOf(e.Publication)));

            // Socket.IO recovery reads by the namespace's sequence number.
            var recovery = await node.Bus.History.ReadAfterSeqAsync(Nsp, "news", first.Seq);
            Assert.Equal([second.Seq], recovery.Entries.Select(e => e.Publication.Seq));

            // A position in another epoch is a discontinuity, never a partial replay.
            var stale = await node.Bus.History.ReadAsync(Nsp, "news", new StreamPosition(1, "not-an-epoch"), limit: 10);
            Assert.False(stale.Continuous);
        }
    }

    [Fact]
    public async Task A_broadcast_reaches_the_other_nodes_with_members_and_never_its_sender()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        var c = await StartNodeAsync();
        await a.Bus.AddInterestAsync(Nsp, "room");
        await b.Bus.AddInterestAsync(Nsp, "room");

        await a.Bus.BroadcastAsync(Broadcast("to-room", "room"));
        await a.Bus.BroadcastAsync(Broadcast("to-everyone"));

        Assert.Contains("to-room", EventOf(await b.Sink.NextBroadcastAsync()));
        Assert.Contains("to-everyone", EventOf(await b.Sink.NextBroadcastAsync()));
        // c has no member of the room: the broadcast to everyone is the first thing it gets.
        Assert.Contains("to-everyone", EventOf(await c.Sink.NextBroadcastAsync()));
        // a sent both: had its own broadcasts come back to it, they would be in its inbox before what b sends after them.
        await b.Bus.BroadcastAsync(Broadcast("from-b"));
        Assert.Contains("from-b", EventOf(await a.Sink.NextBroadcastAsync()));
    }

    [Fact]
    public async Task A_request_reaches_the_other_nodes_with_members_and_their_replies_come_back()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        var c = await StartNodeAsync();
        await b.Bus.AddInterestAsync(Nsp, "room");

        Assert.Equal(1, await a.Bus.RequestAsync(Request(a, "room")));
        Assert.Equal(b.Bus.NodeId, Encoding.UTF8.GetString((await a.Sink.NextReplyAsync()).Body.Span));

        // Without rooms (fetchSockets / serverSideEmit to everyone): every other node, never the asker.
        var everyone = Request(a);
        Assert.Equal(2, await a.Bus.RequestAsync(everyone));
        var from = new[] { await a.Sink.NextReplyAsync(), await a.Sink.NextReplyAsync() };
        Assert.All(from, r => Assert.Equal(everyone.Id, r.Id));
        Assert.Equal(new[] { b.Bus.NodeId, c.Bus.NodeId }.Order(), from.Select(r => r.From).Order());
        Assert.Equal(everyone.Id, (await c.Sink.NextRequestAsync()).Id);
        Assert.True(a.Sink.NoMoreRequests);
    }

    [Fact]
    public async Task Nodes_see_each_other_join_and_leave()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        await b.Bus.AddInterestAsync(Nsp, "room");
        Assert.Equal(new[] { a.Bus.NodeId, b.Bus.NodeId }.Order(), (await a.Bus.GetLiveNodesAsync()).Order());
        Assert.Equal(new[] { a.Bus.NodeId, b.Bus.NodeId }.Order(), (await b.Bus.GetLiveNodesAsync()).Order());

        await LeaveAsync(b.Bus);

        // Leaving is immediate: no request waits for the node, and its rooms no longer count it.
        Assert.Equal([a.Bus.NodeId], await a.Bus.GetLiveNodesAsync());
        Assert.Equal(0, await a.Bus.RequestAsync(Request(a)));
        Assert.Equal(0, await a.Bus.RequestAsync(Request(a, "room")));
        await a.Bus.PublishAsync(Publication("room", 1));
    }

    [Fact]
    public async Task A_node_that_dies_stops_being_asked_and_the_cluster_goes_on()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        await b.Bus.AddInterestAsync(Nsp, "room");
        await a.Bus.AddInterestAsync(Nsp, "room");

        await KillAsync(b.Bus);

        if (CannotDieWithoutLeaving is { } why)
        {
            // Documented: in this backend a death is a leave; the leave case covers it at once.
            Assert.False(string.IsNullOrEmpty(why));
            Assert.Equal([a.Bus.NodeId], await a.Bus.GetLiveNodesAsync());
        }
        else
        {
            // Until its lease runs out the dead node is still counted; then it is asked no more.
            await WaitUntilAsync(async () => (await a.Bus.GetLiveNodesAsync()).SequenceEqual([a.Bus.NodeId]));
        }
        Assert.Equal(0, await a.Bus.RequestAsync(Request(a, "room")));
        Assert.Equal(0, await a.Bus.RequestAsync(Request(a)));
        // Publications go on, in order, for the nodes left.
        var published = await a.Bus.PublishAsync(Publication("room", 7));
        var delivery = await a.Sink.NextPublicationAsync();
        Assert.Equal(published.Seq, delivery.Publication.Seq);
    }

    [Fact]
    public async Task A_recovery_session_saved_on_one_node_is_taken_on_another_and_gone_once_removed()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        var session = new RecoverableSession("pid-1", "socket-1");
        session.Rooms.Add("room");
        session.Data["user"] = "ann";
        var sessions = a.Bus.Sessions;
        Assert.NotNull(sessions);
        sessions.Disconnected(Nsp, session, TimeSpan.FromMinutes(1));

        // Saving is fire-and-forget (the socket must not wait for it): take it once it is there.
        RecoverableSession? taken = null;
        await WaitUntilAsync(async () => (taken = await b.Bus.Sessions!.TryTakeAsync(Nsp, "pid-1")) is not null);
        Assert.Equal("socket-1", taken!.SocketId);
        Assert.Equal(["room"], taken.Rooms);
        Assert.Equal("ann", taken.Data["user"]?.ToString());

        // Only the owner (now b) writes the session; asking b keeps it the owner until its removal lands.
        b.Bus.Sessions!.Remove(Nsp, "pid-1");
        await WaitUntilAsync(async () => await b.Bus.Sessions!.TryTakeAsync(Nsp, "pid-1") is null);
        Assert.Null(await a.Bus.Sessions!.TryTakeAsync(Nsp, "pid-1"));
        Assert.Null(await b.Bus.Sessions.TryTakeAsync(Nsp, "never-saved"));
    }

    private static int _requests;

    protected static ClusterRequest Request(Node from, params string[] rooms) =>
        new(Nsp, $"{from.Bus.NodeId}.{Interlocked.Increment(ref _requests)}", from.Bus.NodeId, "server-emit", rooms, Encoding.UTF8.GetBytes("{}"));

    /// <summary>Polls a condition that the backend reaches on its own clock (a lease, a fire-and-forget write), for at most 10 s.</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition was not met within 10 s.");
            await Task.Delay(50);
        }
    }
}
