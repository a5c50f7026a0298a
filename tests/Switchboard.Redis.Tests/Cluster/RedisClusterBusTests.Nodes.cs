using System.Collections.Concurrent;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.SocketIO;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>Node liveness, leases, recovery sessions and cluster-wide operations across nodes on one redis-server.</summary>
public sealed partial class RedisClusterBusTests
{
    [Fact]
    public async Task A_node_whose_lease_ran_out_registers_its_rooms_again_and_receives_again()
    {
        var (a, _) = await NodeAsync(TimeSpan.FromMilliseconds(200));
        var (b, busB) = await NodeAsync(TimeSpan.FromMilliseconds(200));
        var onB = new Recorder("b1");
        await b.Main.Channels.SubscribeAsync("feed", onB);

        // B's heartbeats failed for longer than its lease (the connection stayed up): A's next
        // publication finds B dead and drops it from the room's set.
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        busB.Restored += (_, _) => restored.TrySetResult();
        await redis.Connection.GetDatabase().SortedSetAddAsync($"{_prefix}nodes", busB.NodeId, 0);
        await a.Main.Channels.PublishAsync(["feed"], "m", [1]);
        var dropped = !await redis.Connection.GetDatabase().SetContainsAsync($"{_prefix}interest:/:feed", busB.NodeId);
        await restored.Task.WaitAsync(Timeout);
        await a.Main.Channels.PublishAsync(["feed"], "m", [2]);

        Assert.True(dropped);
        // The missed one comes from history, before the next, as after any gap.
        Assert.Equal(["1", "2"], (await onB.WaitForAsync(2)).Select(Text));
    }

    [Fact]
    public async Task A_publication_reaches_another_node_exactly_as_published()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var onB = new Recorder("b1");
        await b.Main.Channels.SubscribeAsync("news", onB);
        // Raw arguments are spliced as they are: every byte must survive the script that builds the message.
        var raw = "[\"a\\/b \\\"q\\\" é☃ \\u00e9\",9007199254740993,{\"nested\":[1.50,-0.0,1E+2]}]"u8.ToArray();
        var args = Publication.FromStored(0, "x", raw, [], null, DateTimeOffset.UnixEpoch).Arguments.ToArray();

        await a.Main.Channels.PublishAsync(["news"], "head/line é", args, except: ["vip"], publisherId: "api-1");

        var entry = Assert.Single(await onB.WaitForAsync(1));
        Assert.Equal(System.Text.Encoding.UTF8.GetString(raw), System.Text.Encoding.UTF8.GetString(entry.Publication.ArgumentsJson.Span));
        Assert.Equal("head/line é", entry.Publication.Event);
        Assert.Equal(["vip"], entry.Publication.Except);
        Assert.Equal("api-1", entry.Publication.PublisherId);
    }

    [Fact]
    public async Task A_dead_node_is_dropped_from_every_room_it_was_in_once_a_publication_finds_its_lease_run_out()
    {
        var (a, _) = await NodeAsync();
        var (b, busB) = await NodeAsync();
        // C never renews its lease again (a hung or killed process).
        var (c, busC) = await NodeAsync(TimeSpan.FromHours(1));
        foreach (var room in new[] { "r1", "r2", "r3" })
        {
            await c.Main.Channels.SubscribeAsync(room, new Recorder("c-" + room));
        }
        await b.Main.Channels.SubscribeAsync("r2", new Recorder("b-r2"));
        var db = redis.Connection.GetDatabase();
        Assert.Equal(3, await db.SetLengthAsync($"{_prefix}node-interest:{busC.NodeId}"));

        // Its lease runs out; the next publication to one of its rooms finds it dead.
        await db.SortedSetAddAsync($"{_prefix}nodes", busC.NodeId, 0);
        await a.Main.Channels.PublishAsync(["r1"], "m", [1]);

        foreach (var room in new[] { "r1", "r2", "r3" })
        {
            Assert.False(await db.SetContainsAsync($"{_prefix}interest:/:{room}", busC.NodeId), room);
        }
        Assert.False(await db.KeyExistsAsync($"{_prefix}node-interest:{busC.NodeId}"));
        Assert.True(await db.SetContainsAsync($"{_prefix}interest:/:r2", busB.NodeId));
    }

    [Fact]
    public async Task A_dead_node_is_dropped_from_its_rooms_by_the_next_heartbeat_of_a_live_node_even_when_nobody_publishes()
    {
        var (_, busA) = await NodeAsync(TimeSpan.FromMilliseconds(200));
        var (c, busC) = await NodeAsync(TimeSpan.FromHours(1));
        foreach (var room in new[] { "quiet1", "quiet2" })
        {
            await c.Main.Channels.SubscribeAsync(room, new Recorder("c-" + room));
        }
        var db = redis.Connection.GetDatabase();
        var index = $"{_prefix}node-interest:{busC.NodeId}";
        Assert.Equal(2, await db.SetLengthAsync(index));

        // Told by Redis itself when the index is deleted (keyspace notifications), subscribed before
        // C's lease is made to run out: A's heartbeat, not a publication, must notice.
        await db.ExecuteAsync("CONFIG", "SET", "notify-keyspace-events", "Kg");
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscriber = redis.Connection.GetSubscriber();
        var keyspace = RedisChannel.Literal($"__keyspace@0__:{index}");
        await subscriber.SubscribeAsync(keyspace, (_, message) =>
        {
            if (message == "del")
            {
                deleted.TrySetResult();
            }
        });
        try
        {
            await db.SortedSetAddAsync($"{_prefix}nodes", busC.NodeId, 0);
            await deleted.Task.WaitAsync(Timeout);
        }
        finally
        {
            await subscriber.UnsubscribeAsync(keyspace);
        }

        foreach (var room in new[] { "quiet1", "quiet2" })
        {
            Assert.False(await db.SetContainsAsync($"{_prefix}interest:/:{room}", busC.NodeId), room);
        }
        Assert.NotNull(await db.SortedSetScoreAsync($"{_prefix}nodes", busA.NodeId));
    }

    [Fact]
    public async Task A_node_that_leaves_cleanly_takes_its_interest_with_it()
    {
        var (_, busA) = await NodeAsync();
        var (c, busC) = await NodeAsync();
        await c.Main.Channels.SubscribeAsync("r1", new Recorder("c-r1"));
        await c.Main.Channels.SubscribeAsync("r2", new Recorder("c-r2"));
        var db = redis.Connection.GetDatabase();
        Assert.True(await db.SetContainsAsync($"{_prefix}interest:/:r1", busC.NodeId));

        await busC.DisposeAsync();

        Assert.False(await db.SetContainsAsync($"{_prefix}interest:/:r1", busC.NodeId));
        Assert.False(await db.SetContainsAsync($"{_prefix}interest:/:r2", busC.NodeId));
        Assert.False(await db.KeyExistsAsync($"{_prefix}node-interest:{busC.NodeId}"));
        Assert.Null(await db.SortedSetScoreAsync($"{_prefix}nodes", busC.NodeId));
        Assert.NotNull(await db.SortedSetScoreAsync($"{_prefix}nodes", busA.NodeId));
    }

    [Fact]
    public async Task Recovery_sessions_are_taken_on_another_node_with_their_rooms()
    {
        var (_, busA) = await NodeAsync();
        var (_, busB) = await NodeAsync();
        var session = new RecoverableSession("pid-1", "socket-1");
        session.Rooms.Add("socket-1");
        session.Rooms.Add("trading");
        session.Data["user"] = "ada";
        busA.Sessions!.Save("/", session);
        // A's writes are ordered on its connection: a read through it sees the save.
        await busA.Store.Redis.GetDatabase().PingAsync();

        var taken = await busB.Sessions!.TryTakeAsync("/", "pid-1");
        var unknown = await busB.Sessions.TryTakeAsync("/", "nobody");

        Assert.NotNull(taken);
        Assert.Equal("socket-1", taken.SocketId);
        Assert.Equal(["socket-1", "trading"], taken.Rooms.Order());
        Assert.Equal("ada", taken.Data["user"]?.ToString());
        Assert.Null(unknown);
    }

    [Fact]
    public async Task A_server_side_emit_reaches_every_other_node_and_returns_their_acknowledgements()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var (c, _) = await NodeAsync();
        b.Main.OnServerSideEmit("whoami", args => ValueTask.FromResult<object?>($"b got {args.Get<int>(0)}"));
        c.Main.OnServerSideEmit("whoami", args => ValueTask.FromResult<object?>($"c got {args.Get<int>(0)}"));

        var acks = await a.Main.ServerSideEmitWithAckAsync("whoami", 7).WaitAsync(Timeout);
        var unknown = await b.Main.ServerSideEmitWithAckAsync("nobody-listens").WaitAsync(Timeout);

        Assert.Equal(["b got 7", "c got 7"], acks.Select(ack => ack.Get<string>(0)).Order());
        Assert.Equal(2, unknown.Count);
        Assert.All(unknown, ack => Assert.Equal(System.Text.Json.JsonValueKind.Null, ack[0].ValueKind));
    }

    [Fact]
    public async Task Cluster_wide_operations_ask_only_live_nodes()
    {
        var (a, _) = await NodeAsync();
        var (b, _) = await NodeAsync();
        var (_, busC) = await NodeAsync();
        b.Main.OnServerSideEmit("ping", _ => ValueTask.FromResult<object?>("pong"));

        // Node C leaves (its lease is removed): nobody waits for it.
        await busC.DisposeAsync();
        var acks = await a.Main.ServerSideEmitWithAckAsync("ping").WaitAsync(Timeout);
        var sockets = await a.Main.FetchSocketsAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(["pong"], acks.Select(ack => ack.Get<string>(0)));
        Assert.Empty(sockets);
    }

    /// <summary>A node on this test's key prefix; <paramref name="heartbeat"/> overrides the default interval.</summary>
    [Fact]
    public async Task A_publication_through_the_bus_keeps_the_channel_within_its_byte_cap()
    {
        var (a, bus) = await NodeAsync();
        var payload = new string('x', 100_000);
        StreamPosition first = default;
        for (var i = 0; i < 15; i++)
        {
            var result = await a.Main.Channels.PublishAsync(["big"], "m", [payload]);
            first = i == 0 ? result.Positions["big"] : first;
        }

        var read = await bus.Store.ReadAsync("/", "big", null, 100);
        var fromFirst = await bus.Store.ReadAsync("/", "big", first, 100);

        // The default cap is 1 MiB: ten entries of about 100 KB fit, eleven do not.
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), read.Entries.Select(e => e.Offset));
        Assert.Equal(first.Epoch, read.Top.Epoch);
        Assert.False(fromFirst.Continuous);
    }

    [Fact]
    public async Task Every_node_lists_the_live_nodes_of_its_cluster_itself_included()
    {
        var (_, busA) = await NodeAsync();
        var (_, busB) = await NodeAsync();

        // Through the contract, as the admin page asks it.
        var seenByA = await ((Switchboard.Cluster.IClusterBus)busA).GetLiveNodesAsync();
        var seenByB = await ((Switchboard.Cluster.IClusterBus)busB).GetLiveNodesAsync();

        Assert.Equal(new[] { busA.NodeId, busB.NodeId }.Order(), seenByA.Order());
        Assert.Equal(seenByA.Order(), seenByB.Order());
    }
}
